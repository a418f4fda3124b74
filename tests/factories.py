"""factory_boy factories. Fields that rules read (dates, gender, CCCD) are deterministic."""

from datetime import date

import factory

from members import services
from members.cccd import cccd_prefix
from members.models import Gender, MemberStatus, Organisation, OrganisationKind, PartyMember, Person, User
from members.summaries import organisations_recount


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.BRANCH
    name = factory.Sequence(lambda n: f"Chi bộ {n}")
    code = factory.Sequence(lambda n: f"ORG{n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Through the service, so the materialised path is set as in production.
        return services._organisation_insert(**kwargs)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    organisation = factory.SubFactory(OrganisationFactory)
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Người{n}")
    date_of_birth = date(1995, 6, 15)
    gender = Gender.MALE
    cccd = factory.Sequence(
        lambda n: cccd_prefix(province_code="019", gender=Gender.MALE, date_of_birth=date(1995, 6, 15)) + f"{n:06d}"
    )


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyMember

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SelfAttribute("person.organisation")
    status = MemberStatus.OFFICIAL
    admission_decision_date = date(2015, 3, 2)
    ceremony_date = date(2015, 3, 20)
    official_date = date(2016, 3, 20)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        """A row written outside the services: keep the statistics summary as they do."""
        member = super()._create(model_class, *args, **kwargs)
        organisations_recount(organisation_ids=[member.organisation_id])
        return member


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "test-password-1")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            obj.save()
