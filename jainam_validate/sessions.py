"""Session tokens for one pass: log in, reuse tokens kept elsewhere, renew a rejected one once.

:class:`Sessions` sends the two XTS logins (interactive; market data with its prefix fallback),
records each attempt through the :class:`~jainam_validate.attempts.AttemptLog`, and raises the
:mod:`errors` exception a refused login stands for (see :mod:`~jainam_validate.login_answer`)
*after* its attempt is recorded. A login is sent once: never retried on a 5xx or no answer, as a
second login can kick a session off. Reused tokens (environment, keyring cache) send nothing;
:meth:`Sessions.renew` logs in again at most once per session kind and pass ("Invalid Token").
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import SecretStr

from jainam_validate import errors
from jainam_validate.attempts import AttemptLog, interpret
from jainam_validate.classify import Verdict
from jainam_validate.client import RawExchange, XtsClient
from jainam_validate.login_answer import login_result, wrong_market_prefix
from jainam_validate.redact import Redactor
from jainam_validate.settings import AccountType, Settings
from jainam_validate.timing import TimingRecord
from jainam_validate.xts import LOGIN_INTERACTIVE, MARKET_DATA_PREFIXES, MARKET_LOGIN, Flow

__all__ = ["Origin", "Session", "Sessions", "account_of", "jwt_expiry"]

Origin = Literal["login", "env", "cache"]


@dataclass
class Session:
    """Session tokens for one pass. ``repr`` never shows a token."""

    interactive_token: SecretStr
    market_token: SecretStr | None
    account_type: AccountType
    origin: Origin
    user: str | None = None  # pseudonym
    interactive_expires: int | None = None
    market_expires: int | None = None
    market_data_prefix: str | None = None
    login_ms: dict[str, float] = field(default_factory=dict)
    renewed: set[bool] = field(default_factory=set)  # session kinds re-logged (True = market)


def _flag(value: object) -> object:
    """A JSON boolean, also when sent as the text "true"/"false"."""
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    return value


def jwt_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWT-shaped token (no signature check), or None."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = data.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            return None
        # some issuers write milliseconds; a date past the year 5000 is one of those
        return int(exp / 1000) if exp > 10**11 else int(exp)
    except (IndexError, ValueError, TypeError, AttributeError):
        return None


def account_of(configured: AccountType | None, result: Mapping[str, Any]) -> AccountType:
    """The account type of a pass: the configured one, which must agree with the login's
    ``isInvestorClient`` when it says; else the login's. Raises ConfigError or BrokerError."""
    investor = _flag(result.get("isInvestorClient"))
    if configured is not None and isinstance(investor, bool):
        answered = AccountType.INVESTOR if investor else AccountType.DEALER
        if answered is not configured:
            # Obeying the setting would send the wrong routes, which answer "Data Not
            # Available" and would pass as empty books: stop before any book call.
            raise errors.ConfigError(
                f"JAINAM_ACCOUNT_TYPE is {configured.value}, but the login answered "
                f"isInvestorClient: {str(investor).lower()} ({answered.value} account): "
                f"set JAINAM_ACCOUNT_TYPE to {answered.value} or auto"
            )
    if configured is not None:
        return configured
    if isinstance(investor, bool):
        return AccountType.INVESTOR if investor else AccountType.DEALER
    raise errors.BrokerError(
        "interactive login answered without isInvestorClient: set JAINAM_ACCOUNT_TYPE "
        "to investor or dealer"
    )


class Sessions:
    """Logs in (each login its own sample of its flow), reuses and renews sessions."""

    def __init__(
        self, settings: Settings, client: XtsClient, redactor: Redactor, log: AttemptLog
    ) -> None:
        self.settings = settings
        self.client = client
        self.redactor = redactor
        self.log = log
        self._interactive_logins = 0
        self._market_logins = 0
        tokens = (settings.interactive_session_token, settings.market_session_token)
        redactor.seed(
            settings.client_id.get_secret_value(),
            [
                (s.value.get_secret_value(), "secret:credential")
                for s in settings.credentials.values()
            ]
            + [(t.get_secret_value(), "secret:token") for t in tokens if t is not None],
        )

    # -- one login attempt ------------------------------------------------------------------
    def _body(self, key: str, secret: str) -> dict[str, str]:
        s = self.settings
        return {"appKey": s.secret(key), "secretKey": s.secret(secret), "source": s.source}

    def _learn(self, verdict: Verdict) -> None:
        """A login answer's token and ids are known before anything of it is kept."""
        if verdict.envelope is not None:
            self.redactor.learn(verdict.envelope)

    def _send(
        self,
        flow: str,
        route: str,
        body: Mapping[str, str],
        *,
        sample: int,
        attempt: int,
        sample_started: float | None = None,
    ) -> tuple[RawExchange, Verdict, TimingRecord]:
        """POST one login attempt, learn its answer (timed as its transform) and record it.
        ``sample_started`` is the sample's first attempt's start (None: this one)."""
        raw = self.client.exchange(flow, "POST", route, json_body=body)
        verdict, _, transform_ms = interpret(raw, self._learn)
        record = self.log.record(
            raw,
            verdict,
            learned=True,
            sample=sample,
            attempt=attempt,
            sample_started=raw.started if sample_started is None else sample_started,
            transform_ms=transform_ms,
        )
        return raw, verdict, record

    def _result(
        self, raw: RawExchange, verdict: Verdict, which: str, route: str
    ) -> Mapping[str, Any]:
        """The accepted login's result, its token now a known secret; raises otherwise."""
        result = login_result(
            raw,
            verdict,
            which=which,
            route=route,
            host=self.settings.host,
            scrub=self.redactor.scrub,
            describe=self.log.describe,
        )
        self.redactor.add_secret(str(result["token"]), "secret:token")
        return result

    # -- sessions ---------------------------------------------------------------------------
    def login_interactive(self) -> Session:
        """POST /interactive/user/session; raises AuthError/UnreachableError/NotAnXtsApi."""
        body = self._body("JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET")
        self._interactive_logins += 1
        raw, verdict, record = self._send(
            Flow.LOGIN_INTERACTIVE,
            LOGIN_INTERACTIVE,
            body,
            sample=self._interactive_logins,
            attempt=1,
        )
        result = self._result(raw, verdict, "interactive", LOGIN_INTERACTIVE)
        token = str(result["token"])
        account = account_of(self.settings.account_type, result)
        user = result.get("userID")
        return Session(
            interactive_token=SecretStr(token),
            market_token=None,
            account_type=account,
            origin="login",
            user=self.redactor.add_identifier(user, "user") if user else None,
            interactive_expires=jwt_expiry(token),
            login_ms={Flow.LOGIN_INTERACTIVE.value: record.total_ms},
        )

    def login_market(self, session: Session) -> Session:
        """POST {prefix}/auth/login, falling back to the other prefix once (quirk XQ05)."""
        s = self.settings
        body = self._body("JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET")
        prefixes = [s.market_data_prefix] + [
            p for p in MARKET_DATA_PREFIXES if p != s.market_data_prefix
        ]
        started: float | None = None
        self._market_logins += 1
        for attempt, prefix in enumerate(prefixes[:2], start=1):
            route = f"{prefix}{MARKET_LOGIN}"
            raw, verdict, record = self._send(
                Flow.LOGIN_MARKET,
                route,
                body,
                sample=self._market_logins,
                attempt=attempt,
                sample_started=started,
            )
            started = raw.started if started is None else started
            wrong_prefix = wrong_market_prefix(raw)  # quirk XQ05: the other prefix, once
            if wrong_prefix and attempt == 1:
                continue
            if wrong_prefix:
                raise errors.BrokerError(
                    f"market-data login answered HTTP {raw.status} under both {prefixes[0]} and "
                    f"{prefixes[1]}: this host serves market data under another prefix; set "
                    "JAINAM_MARKET_DATA_PREFIX (ask the broker which one applies)"
                )
            result = self._result(raw, verdict, "market-data", route)
            token = str(result["token"])
            session.market_token = SecretStr(token)
            session.market_expires = jwt_expiry(token)
            session.market_data_prefix = prefix
            session.login_ms[Flow.LOGIN_MARKET.value] = record.sample_ms
            return session
        raise AssertionError("unreachable")  # pragma: no cover

    def reuse(
        self, interactive: str, market: str | None, account: AccountType, origin: Origin
    ) -> Session:
        """A session from tokens kept elsewhere (env or the keyring cache); nothing is sent."""
        self.redactor.add_secret(interactive, "secret:token")
        if market:
            self.redactor.add_secret(market, "secret:token")
        return Session(
            interactive_token=SecretStr(interactive),
            market_token=SecretStr(market) if market else None,
            account_type=account,
            origin=origin,
            interactive_expires=jwt_expiry(interactive),
            market_expires=jwt_expiry(market) if market else None,
        )

    def renew(self, session: Session, *, market: bool) -> bool:
        """Log in again once per session kind and pass (XTS "Invalid Token": the session was
        replaced by another login or expired). False when not possible or already done."""
        if not self.settings.credentials or market in session.renewed:
            return False
        session.renewed.add(market)
        try:
            if market:
                self.login_market(session)
            else:
                fresh = self.login_interactive()
                session.interactive_token = fresh.interactive_token
                session.interactive_expires = fresh.interactive_expires
        except errors.JainamError:
            return False
        return True
