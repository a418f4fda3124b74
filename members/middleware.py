from collections.abc import Callable

from django.conf import settings
from django.core.signals import setting_changed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.http import urlencode

from members.selectors import scope_for
from members.twofactor import requires_second_factor

# The paths each middleware lets through, reversed once per URL prefix and configuration instead of
# at every request (eight reverse() calls on every page): {(what, script prefix, urlconf): paths}.
_PATHS: dict[tuple[str, str, object], tuple[tuple[str, ...], frozenset[str]]] = {}


def _paths(what: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """(prefixes, exact paths) that `what` ("two_factor": the second-factor redirect; "candidate":
    a candidate's confinement) lets through."""
    key = (what, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    found = _PATHS.get(key)
    if found is None:
        if what == "two_factor":
            # The pages needed to verify, log out or switch language, and static files.
            prefixes = (reverse("two_factor"), reverse("logout"), reverse("set_language"), settings.STATIC_URL)
            found = (prefixes, frozenset({reverse("two_factor_qr")}))
        else:
            allowed = (
                *settings.CANDIDATE_PATHS,
                reverse("two_factor"),
                reverse("logout"),
                reverse("set_language"),
                reverse("password_change"),
                settings.STATIC_URL,
            )
            found = (tuple(str(a) for a in allowed), frozenset())
        if len(_PATHS) > 64:
            _PATHS.clear()
        _PATHS[key] = found
    return found


def _clear_paths(**_kwargs: object) -> None:
    _PATHS.clear()


# A test that overrides a setting (CANDIDATE_PATHS, STATIC_URL, the URL configuration) reverses again.
setting_changed.connect(_clear_paths, dispatch_uid="members.middleware.paths")


class UserLanguageMiddleware:
    """Activate the user's chosen language: this browser's choice (cookie), else the account's, else Vietnamese.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which
    would show English to most browsers; the product is Vietnamese first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The cookie is set only by an explicit switch (also saved on the account), so it wins:
        # a language chosen on the login page survives the login.
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        user = getattr(request, "user", None)
        if language not in self.supported and user is not None and user.is_authenticated:
            language = user.preferred_language
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class TwoFactorRequiredMiddleware:
    """Send users whose roles read beyond one branch (members.twofactor) to the second-factor page until verified.

    Runs after django-otp's OTPMiddleware (which sets `user.is_verified`). The pages needed to
    verify, log out or switch language, and static files, stay reachable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[union-attr]
            and not self._exempt(request.path)
            and requires_second_factor(user)  # type: ignore[arg-type]
        ):
            return redirect(f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        prefixes, exact = _paths("two_factor")
        return path.startswith(prefixes) or path in exact


class CandidateConfinementMiddleware:
    """A candidate's login (members.selectors.Scope.candidate_only) reaches only its own pages.

    Every other page already answers 404 or an empty list for a login without scope; this makes
    it so by construction for the pages yet to come: outside `settings.CANDIDATE_PATHS` and the
    account pages (second factor, password, log out, language) a candidate gets 404, and the home
    page sends them to their case.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not self._allowed(request.path)
            and scope_for(user).candidate_only  # type: ignore[arg-type]
        ):
            if request.path == "/":
                return redirect(settings.CANDIDATE_PATHS[0])
            raise Http404
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        return path.startswith(_paths("candidate")[0])


class UnicodeNormalizationMiddleware:
    """Store text in Unicode NFC: normalise every posted form value before any view reads it.

    Vietnamese typed on some systems arrives decomposed (NFD: "e" + combining marks), which would
    look the same but neither match searches nor sort with composed text. Names are also
    normalised by the model; this covers every other free-text field (notes, reasons, tasks…).
    The JSON API does the same in its parser (admission.api.parsers).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # (The API reads JSON only, through its own normalising parser; a form body must reach it
        # unread, so that it answers 415.)
        if (
            request.method == "POST"
            and request.content_type in FORM_CONTENT_TYPES
            and not request.path.startswith("/api/")
        ):
            import unicodedata

            posted = request.POST.copy()
            for key, values in posted.lists():
                posted.setlist(key, [unicodedata.normalize("NFC", value) for value in values])
            posted._mutable = False
            request.POST = posted  # type: ignore[misc,assignment]
        return self.get_response(request)


FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
