# Per-member attendance of branch meetings; old meetings keep their typed counts.

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def keep_typed_counts(apps, schema_editor):
    """Meetings recorded before attendance keep the two numbers typed then, with nothing excluded and
    no per-member rows; each gets a first history row so that a later correction shows what it was."""
    meeting_model = apps.get_model("admission", "BranchMeeting")
    history_model = apps.get_model("admission", "HistoricalBranchMeeting")
    now = timezone.now()
    rows = []
    for meeting in meeting_model.objects.all().iterator():
        rows.append(
            history_model(
                id=meeting.pk,
                organisation_id=meeting.organisation_id,
                held_on=meeting.held_on,
                official_members=meeting.official_members,
                present=meeting.present,
                excluded=0,
                attendance_recorded=False,
                minutes=meeting.minutes,
                created_by_id=meeting.created_by_id,
                history_date=now,
                history_type="~",
                history_change_reason="số liệu nhập tay (trước khi có điểm danh)",
            )
        )
    history_model.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0012_corrections"),
        ("members", "0010_api_token_digest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalBranchMeeting",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("held_on", models.DateField(verbose_name="ngày họp")),
                (
                    "official_members",
                    models.PositiveSmallIntegerField(verbose_name="số đảng viên chính thức triệu tập"),
                ),
                ("present", models.PositiveSmallIntegerField(verbose_name="số đảng viên có mặt")),
                ("excluded", models.PositiveSmallIntegerField(default=0, verbose_name="số được trừ khỏi tổng số")),
                ("attendance_recorded", models.BooleanField(default=False, verbose_name="có điểm danh từng đảng viên")),
                ("minutes", models.TextField(blank=True, default="", verbose_name="biên bản tóm tắt")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
            ],
            options={
                "verbose_name": "historical branch meeting",
                "verbose_name_plural": "historical branch meetings",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalListDecision",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "decision",
                    models.CharField(
                        choices=[
                            ("add", "Đưa vào danh sách"),
                            ("keep", "Tiếp tục theo dõi"),
                            ("remove", "Đưa ra khỏi danh sách"),
                        ],
                        max_length=8,
                    ),
                ),
                ("reason", models.CharField(blank=True, default="", max_length=255, verbose_name="lý do")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
            ],
            options={
                "verbose_name": "historical list decision",
                "verbose_name_plural": "historical list decisions",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalMeetingAttendance",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("present", "Có mặt"),
                            ("absent", "Vắng mặt không có lý do được chấp nhận (vẫn tính)"),
                            ("temporary_transfer", "Chuyển sinh hoạt tạm thời (được trừ)"),
                            ("exempt_absent", "Miễn sinh hoạt, vắng mặt (được trừ)"),
                            ("suspended", "Bị đình chỉ sinh hoạt, truy tố, tạm giam (được trừ)"),
                            ("excused", "Vắng mặt có lý do được chấp nhận (được trừ)"),
                        ],
                        max_length=20,
                        verbose_name="điểm danh",
                    ),
                ),
                ("note", models.CharField(blank=True, default="", max_length=255, verbose_name="ghi chú (lý do vắng)")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
            ],
            options={
                "verbose_name": "historical meeting attendance",
                "verbose_name_plural": "historical meeting attendances",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="MeetingAttendance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("present", "Có mặt"),
                            ("absent", "Vắng mặt không có lý do được chấp nhận (vẫn tính)"),
                            ("temporary_transfer", "Chuyển sinh hoạt tạm thời (được trừ)"),
                            ("exempt_absent", "Miễn sinh hoạt, vắng mặt (được trừ)"),
                            ("suspended", "Bị đình chỉ sinh hoạt, truy tố, tạm giam (được trừ)"),
                            ("excused", "Vắng mặt có lý do được chấp nhận (được trừ)"),
                        ],
                        max_length=20,
                        verbose_name="điểm danh",
                    ),
                ),
                ("note", models.CharField(blank=True, default="", max_length=255, verbose_name="ghi chú (lý do vắng)")),
            ],
        ),
        migrations.CreateModel(
            name="MeetingCorrection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField()),
                ("reason", models.TextField(blank=True, default="", verbose_name="lý do")),
                ("changes", models.JSONField(default=list, verbose_name="nội dung thay đổi")),
            ],
            options={
                "ordering": ["at", "pk"],
            },
        ),
        migrations.AddField(
            model_name="branchmeeting",
            name="attendance_recorded",
            field=models.BooleanField(default=False, verbose_name="có điểm danh từng đảng viên"),
        ),
        migrations.AddField(
            model_name="branchmeeting",
            name="excluded",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="số được trừ khỏi tổng số"),
        ),
        migrations.AddField(
            model_name="vote",
            name="counts_from_attendance",
            field=models.BooleanField(default=False, verbose_name="số liệu lấy từ điểm danh"),
        ),
        migrations.AddField(
            model_name="vote",
            name="meeting",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="votes",
                to="admission.branchmeeting",
                verbose_name="cuộc họp",
            ),
        ),
        migrations.AddField(
            model_name="vote",
            name="needs_correction",
            field=models.BooleanField(default=False, verbose_name="cần sửa lại biểu quyết"),
        ),
        migrations.AddIndex(
            model_name="branchmeeting",
            index=models.Index(fields=["organisation", "held_on"], name="bmeeting_org_day"),
        ),
        migrations.AddConstraint(
            model_name="branchmeeting",
            constraint=models.CheckConstraint(
                condition=models.Q(("excluded__lte", models.F("official_members"))), name="meeting_excluded_le_members"
            ),
        ),
        migrations.AddField(
            model_name="historicalbranchmeeting",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalbranchmeeting",
            name="history_user",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="historicalbranchmeeting",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="members.organisation",
            ),
        ),
        migrations.AddField(
            model_name="historicallistdecision",
            name="candidate",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="admission.candidate",
            ),
        ),
        migrations.AddField(
            model_name="historicallistdecision",
            name="history_user",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="historicallistdecision",
            name="meeting",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="admission.branchmeeting",
            ),
        ),
        migrations.AddField(
            model_name="historicalmeetingattendance",
            name="history_user",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="historicalmeetingattendance",
            name="meeting",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="admission.branchmeeting",
            ),
        ),
        migrations.AddField(
            model_name="historicalmeetingattendance",
            name="member",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="members.partymember",
            ),
        ),
        migrations.AddField(
            model_name="meetingattendance",
            name="meeting",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="attendance", to="admission.branchmeeting"
            ),
        ),
        migrations.AddField(
            model_name="meetingattendance",
            name="member",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="meeting_attendance", to="members.partymember"
            ),
        ),
        migrations.AddField(
            model_name="meetingcorrection",
            name="by",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="meetingcorrection",
            name="meeting",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="corrections", to="admission.branchmeeting"
            ),
        ),
        migrations.AddConstraint(
            model_name="meetingattendance",
            constraint=models.UniqueConstraint(fields=("meeting", "member"), name="attendance_once_per_member"),
        ),
        migrations.AddConstraint(
            model_name="meetingattendance",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["present", "absent", "temporary_transfer", "exempt_absent", "suspended", "excused"])
                ),
                name="attendance_status_valid",
            ),
        ),
        migrations.RunPython(keep_typed_counts, migrations.RunPython.noop),
    ]
