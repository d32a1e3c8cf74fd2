"""The values tgauth takes and returns: frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Type, TypeVar, Union

__all__ = [
    "CodeSettings",
    "CodeType",
    "SentCode",
    "SentCodeSuccess",
    "SentCodePaymentRequired",
    "SentCodeResult",
    "User",
    "Authorization",
    "PasswordInfo",
    "SignedIn",
]


@dataclass(frozen=True)
class CodeSettings:
    """``codeSettings``: how the user would like the login code delivered.

    The defaults (all False, no tokens) are what ``settings=None`` sends.
    """

    allow_flashcall: bool = False
    current_number: bool = False
    allow_app_hash: bool = False
    allow_missed_call: bool = False
    allow_firebase: bool = False
    unknown_number: bool = False
    #: Future auth tokens of earlier logins (auth.sentCodeSuccess may log straight in);
    #: at most 64, each at most 1 KiB.
    logout_tokens: Sequence[bytes] = ()
    #: Push token (Firebase / APNS), for ``allow_firebase``; set together with app_sandbox.
    token: Optional[str] = None
    #: Whether the app is a sandbox build; set together with token (None: both absent).
    app_sandbox: Optional[bool] = None

    def __post_init__(self) -> None:
        # A tuple keeps the frozen dataclass hashable and the tokens immutable.
        object.__setattr__(self, "logout_tokens", tuple(self.logout_tokens))


@dataclass(frozen=True)
class CodeType:
    """How the code was sent (``auth.SentCodeType``).

    ``kind`` is one of "app", "sms", "call", "flash_call", "missed_call", "email_code",
    "set_up_email_required", "fragment_sms", "firebase_sms", "sms_word", "sms_phrase".
    The other fields are set for the kinds that have them and None (False) otherwise.
    """

    kind: str
    #: The code's length (app, sms, call, missed_call, email_code, fragment_sms, firebase_sms).
    length: Optional[int] = None
    #: flash_call: the pattern the calling number matches.
    pattern: Optional[str] = None
    #: missed_call: the prefix of the calling number.
    prefix: Optional[str] = None
    #: fragment_sms: where to read the code.
    url: Optional[str] = None
    #: email_code: the (partly hidden) address the code went to.
    email_pattern: Optional[str] = None
    #: sms_word / sms_phrase: the beginning of the word or phrase, when given.
    beginning: Optional[str] = None
    #: firebase_sms (iOS): the receipt.
    receipt: Optional[str] = None
    #: firebase_sms (Android): the SafetyNet nonce.
    firebase_nonce: Optional[bytes] = None
    #: firebase_sms: the Play Integrity nonce.
    play_integrity_nonce: Optional[bytes] = None
    #: firebase_sms: the Play Integrity project id.
    play_integrity_project_id: Optional[int] = None
    #: firebase_sms: seconds to wait for the push.
    push_timeout: Optional[int] = None
    #: email_code: seconds before the email can be reset.
    reset_available_period: Optional[int] = None
    #: email_code: when a pending reset completes (unix time).
    reset_pending_date: Optional[int] = None
    #: email_code / set_up_email_required: Apple sign-in may be used instead.
    apple_signin_allowed: bool = False
    #: email_code / set_up_email_required: Google sign-in may be used instead.
    google_signin_allowed: bool = False


@dataclass(frozen=True)
class SentCode:
    """``auth.sentCode``: a login code was sent."""

    type: CodeType
    #: Pass it to auth.signIn with the code.
    phone_code_hash: str
    #: How auth.resendCode would send the next code ("sms", "call", ...), or None.
    next_type: Optional[str]
    #: Seconds before auth.resendCode may be called, or None.
    timeout: Optional[int]


@dataclass(frozen=True)
class SentCodeSuccess:
    """``auth.sentCodeSuccess``: a logout token logged the user straight in."""

    #: True for auth.authorizationSignUpRequired (the number has no account yet).
    sign_up_required: bool
    #: The authorized user's id; 0 when unknown.
    user_id: int
    #: A token for CodeSettings.logout_tokens of a later login, or None.
    future_auth_token: Optional[bytes]


@dataclass(frozen=True)
class SentCodePaymentRequired:
    """``auth.sentCodePaymentRequired``: sending the code needs a purchase first."""

    phone_code_hash: str
    store_product: Optional[str]
    support_email_address: Optional[str]
    support_email_subject: Optional[str]
    currency: Optional[str]
    amount: int
    premium_days: int


#: What ``Client.send_code`` returns: one of the three auth.SentCode constructors.
SentCodeResult = Union[SentCode, SentCodeSuccess, SentCodePaymentRequired]


@dataclass(frozen=True)
class User:
    """A Telegram user, as the login described it."""

    id: int
    #: The access hash bound to this session (0 when the server sent none).
    access_hash: int
    #: "" when absent.
    first_name: str
    #: "" when absent.
    last_name: str
    #: Without the '@'; None when the user has none.
    username: Optional[str]
    #: Digits only; None when hidden (and for bots).
    phone: Optional[str]
    #: Whether the account is a bot.
    bot: bool


@dataclass(frozen=True)
class Authorization:
    """The end of a login step (``auth.Authorization``): who is signed in now.

    The login methods raise ``tgauth.SignUpRequired`` instead of returning an Authorization
    with ``sign_up_required`` set, so ``user`` is set in what they return.
    """

    #: The user now signed in (None only when a sign-up is required).
    user: Optional[User]
    #: The number has no account yet: sign up first (``Client.sign_up``).
    sign_up_required: bool = False
    #: The terms of service a sign-up accepts (the text), when sign_up_required.
    terms_of_service: Optional[str] = None
    #: A token that logs this number back in without a code (``CodeSettings.logout_tokens``;
    #: the session keeps it too).
    future_auth_token: Optional[bytes] = None
    #: Telegram suggests that the account sets a cloud password.
    setup_password_required: bool = False
    #: Days after which Telegram asks this device to log in again, when it says.
    otherwise_relogin_days: Optional[int] = None
    #: The id of the terms of service, when sign_up_required.
    terms_of_service_id: Optional[str] = None


@dataclass(frozen=True)
class PasswordInfo:
    """The account's cloud password settings (``account.password``), for the 2FA step."""

    has_password: bool
    #: The hint the user chose; None when none.
    hint: Optional[str]
    #: Whether a recovery email is set.
    has_recovery: bool


@dataclass(frozen=True)
class SignedIn:
    """Who a client's session is signed in as (``Client.signed_in``)."""

    user_id: int
    bot: bool


_T = TypeVar("_T")

#: The fields of a CodeType at their defaults: where each CodeType the package makes starts.
_CODE_TYPE_DEFAULTS: Dict[str, Any] = dict(vars(CodeType(kind="")))


def _result(cls: Type[_T], values: Dict[str, Any]) -> _T:
    """An instance of the frozen dataclass ``cls`` holding ``values``, which name every field.

    What the generated ``__init__`` makes, for a fraction of its cost (it sets each field with
    ``object.__setattr__``: several microseconds for CodeType's 16). For the library's answers
    only, whose values are already of the right types; none of these classes has a
    ``__post_init__``.
    """
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj
