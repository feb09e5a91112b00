"""Which payload keys hold secrets, which hold identifiers: one rule, by the key's name.

A broker can put an identifier under any key (``BoEntryOrderId``, ``ParentOrderID``,
``MobileNumber``, ``DealerCode``, ``UCC``, ``"Client ID"``, ``userIds``), so a key list is never
complete. :func:`key_action` decides from the key's normalised name (case, spaces, ``_``, ``-``
and ``.`` removed): a few exact names first (their pseudonym kinds are part of the evidence
format), then secrets (token, secret, password, key, pin, otp, cookie, authorization), then an
explicit allow-list of market fields (instrument ids, segments, ISINs, symbols, product and
order types, sides, statuses, prices, quantities, amounts, times), then identifiers: names that
end in ``id``/``ids``, ``code``, ``number``/``no``, or contain user, client, account, login,
dealer, ucc, email, mobile, phone, pan, name (of a person), address, birth. Everything else is
plain data. The same rule serves the redactor (what to pseudonymise) and the leak scanner
(``key: value`` pairs in free text, which ``audit`` checks without knowing any value); each of
them asks through its own :class:`KeyMemo`, since a payload's keys repeat on every row.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The action for secret keys (never a pseudonym kind).
SECRET = "\x00secret"
PLAIN = ""

#: Exact names whose values are secrets.
SECRET_KEYS = frozenset(
    {
        "token", "authorization", "appkey", "secretkey", "apikey", "apisecret", "secret",
        "accesspassword", "accesstoken", "uniquekey", "password", "loginpassword",
        "transactionpassword", "feedtoken", "markettoken", "interactivetoken", "sessiontoken",
        "publickey", "cookie", "setcookie",
    }
)  # fmt: skip

#: Exact names of identifiers -> pseudonym kind (the kinds already in shipped evidence).
IDENTIFIER_KINDS: Mapping[str, str] = {
    "userid": "user", "clientid": "client", "clientcode": "client", "clientcodes": "client",
    "accountid": "acct", "loginid": "login", "dealerid": "dealer", "clientname": "name",
    "apporderid": "order", "orderid": "order", "exchangeorderid": "xorder",
    "executionid": "exec", "exchangetradeid": "trade", "tradeid": "trade",
    "orderuniqueidentifier": "ouid", "orderreferenceid": "oref",
    "messagesynchronizeuniquekey": "msk", "pan": "pan", "panno": "pan", "pannumber": "pan",
    "email": "email", "emailid": "email", "mobile": "phone", "mobileno": "phone",
    "phone": "phone", "phoneno": "phone", "residentialaddress": "addr", "officeaddress": "addr",
    "dateofbirth": "dob", "ipaddress": "ip", "macid": "mac", "ucc": "client",
}  # fmt: skip

#: Market and protocol fields: never identifiers, whatever their name ends in.
MARKET_EXACT = frozenset(
    {
        "code", "messagecode", "errorcode", "statuscode", "responsecode", "reasoncode",
        "currencycode", "exchangecode", "type", "description", "result", "enum", "enums",
        "isin", "isins", "isincode", "key", "keys",
        # XTS: TokenID is the exchange's instrument token, not a session token
        "tokenid",
        # our own evidence fields and flow names: a run id names a run, not a person
        "runid", "exitcode", "schemaversion", "toolversion", "positions", "holdings",
        "tradebook", "quotes", "orders", "trades", "logininteractive", "loginmarket", "loginms",
    }
)  # fmt: skip
#: English words that end like an identifier name but are not one ("bid" is a price side).
#: (Whole names only: "SystemId" ends in "mid" but is an id.)
_NOT_ID_ENDINGS = frozenset(
    {
        "valid", "isvalid", "invalid", "paid", "unpaid", "prepaid", "void", "bid", "bids",
        "grid", "hybrid", "liquid", "rapid", "fluid", "avoid", "android", "acid",
        "humid", "amid", "mid",
    }
)  # fmt: skip
_MARKET_WORDS = (
    "instrument", "segment", "symbol", "series", "product", "ordertype",
    "orderside", "status", "price", "quantity", "amount", "value", "average", "multiplier",
    "lotsize", "ticksize", "strike", "expiry", "timestamp", "datetime", "sequence", "company",
    "sector", "index", "currency", "exchangename", "displayname", "security", "underlying",
    "nsecode", "bsecode", "isinno", "seqno", "sequenceno", "scripcode",
)  # fmt: skip
#: Short market words count only at either end of a name ("altpanid" holds "ltp" by chance).
_MARKET_ENDS = ("side", "qty", "mtm", "pnl", "ltp", "avg", "time", "scrip")
_MARKET_SUFFIXES = (
    "type", "types", "date", "count", "flag", "enabled", "ratio", "percent", "isin",
    "edat",  # traded_at, requested_at, created_at: a moment, not an id
)  # fmt: skip
_PERSONAL_WORDS = (
    ("birth", "dob"), ("aadhaar", "aadhaar"), ("aadhar", "aadhaar"), ("email", "email"),
    ("mobile", "phone"), ("phone", "phone"), ("address", "addr"),
)  # fmt: skip
_SECRET_WORDS = (
    "token", "secret", "password", "passwd", "pwd", "authorization", "cookie", "apikey",
    "appkey", "privatekey", "sessionkey", "signature", "credential",
)  # fmt: skip
_SECRET_SUFFIXES = ("key", "pin", "otp")
#: Words that make a name an identifier wherever they appear in it (a person or an account).
_ID_WORDS = (
    ("client", "client"), ("ucc", "client"), ("account", "acct"), ("acct", "acct"),
    ("user", "user"), ("login", "login"), ("dealer", "dealer"),
)  # fmt: skip
#: Words that only name the pseudonym's kind of a name the suffix rule already caught
#: (``ParentOrderID`` is an order id; ``tradebook`` is not an id at all).
_KIND_WORDS = _ID_WORDS + (
    ("order", "order"), ("trade", "trade"), ("execution", "exec"), ("broker", "broker"),
    ("member", "member"), ("holder", "name"), ("nominee", "name"),
)  # fmt: skip
_ID_SUFFIXES = (
    "id", "ids", "code", "codes", "number", "numbers", "no", "num", "nr", "nbr", "name", "names",
    "ref", "reference", "idlist", "idold", "idnew",
)  # fmt: skip
#: Words that name a person or an account holder on their own, whatever follows them.
_HOLDER_WORDS = (
    ("holder", "name"), ("beneficiary", "name"), ("nominee", "name"), ("customer", "client"),
    ("investor", "client"), ("owner", "name"), ("trader", "user"), ("demat", "acct"),
    ("terminal", "id"), ("ctcl", "id"), ("cuenta", "acct"), ("kunden", "client"),
)  # fmt: skip
#: Whole names that are an account or a person, too short for the word lists above.
_HOLDER_EXACT = {"acc": "acct", "boacc": "acct", "accno": "acct", "cust": "client"}
#: Market names that hold the word token: an instrument's token, not a session's.
_TOKEN_MARKET = ("instrumenttoken", "symboltoken", "tokennumber", "tokenno", "exchangetoken")


def normalise_key(key: str) -> str:
    """``AppOrderID``, ``app_order_id``, ``"App Order Id:"``, ``OrderId1`` all become
    ``apporderid``/``orderid``: lower case, letters and digits only, trailing digits dropped."""
    return _normalised(key)


def _normalised(key: str) -> str:
    # every character that is not an ASCII letter or digit goes (spaces, NBSP, zero-width,
    # punctuation such as ":" or "#"); a trailing counter ("OrderId2") names the same thing
    kept = "".join(c for c in key.lower() if c.isascii() and c.isalnum())
    return kept.rstrip("0123456789") or kept


def _kind_of(norm: str) -> str:
    for word, kind in _KIND_WORDS:
        if word in norm:
            return kind
    if norm.startswith("pan") or norm.endswith(("pan", "panno", "pannumber")):
        return "pan"
    if norm.endswith(("name", "names")):
        return "name"
    return "id"


def key_action(key: str) -> str:
    """``SECRET``, an identifier's pseudonym kind, or ``PLAIN`` for the value under ``key``."""
    norm = _normalised(key)
    if not norm:
        return PLAIN
    if norm in SECRET_KEYS:
        return SECRET
    exact = IDENTIFIER_KINDS.get(norm)
    if exact is not None:
        return exact
    if norm in MARKET_EXACT:
        return PLAIN
    for word, kind in _PERSONAL_WORDS:
        if word in norm:
            return kind
    if norm.endswith(_TOKEN_MARKET):
        return PLAIN
    if any(word in norm for word in _SECRET_WORDS) or norm.endswith(_SECRET_SUFFIXES):
        return SECRET
    # a person or an account named anywhere wins over a market word ("AccountCount")
    if any(word in norm for word, _ in _ID_WORDS):
        return _kind_of(norm)
    for word, kind in _HOLDER_WORDS:
        if word in norm:
            return kind
    if norm in _HOLDER_EXACT:
        return _HOLDER_EXACT[norm]
    # an order, a trade or an execution named with an id suffix is an id, market words or not
    # ("ProductOrderId", "OrderStatusId")
    if norm.endswith(_ID_SUFFIXES) and any(word in norm for word, _ in _KIND_WORDS):
        return _kind_of(norm)
    if norm in _NOT_ID_ENDINGS or norm.endswith(_MARKET_SUFFIXES):
        return PLAIN
    if any(word in norm for word in _MARKET_WORDS):
        return PLAIN
    if norm.startswith(_MARKET_ENDS) or norm.endswith(_MARKET_ENDS):
        return PLAIN
    if norm.endswith(_ID_SUFFIXES):
        return _kind_of(norm)
    if norm.startswith("pan") or norm.endswith(("pan", "panno")):
        return "pan"
    if norm in ("ip", "mac", "macaddress", "uid", "uuid", "guid"):
        return norm if norm in ("ip", "mac") else "id"
    return PLAIN


def is_identifier_key(key: str) -> bool:
    action = key_action(key)
    return action not in (PLAIN, SECRET)


def is_listed(key: str) -> bool:
    """An exact, listed name (its values are hunted in free text whatever they look like);
    names caught only by the grammar have their values hunted only when they hold a digit,
    so a word such as ``WEBAPI`` under ``ApiOrderSource`` never becomes a "known id"."""
    norm = _normalised(key)
    return norm in SECRET_KEYS or norm in IDENTIFIER_KINDS


#: Numbers under these keys are instruments, quantities or prices, never identifiers, even
#: when one equals a learned id (a 6-digit client code can equal a BSE scrip code).
_NOT_ID_NUMBERS = (
    "instrument",
    "quantity",
    "qty",
    "price",
    "amount",
    "value",
    "lot",
    "multiplier",
    "segment",
    "mtm",
    "time",
    "exp",
    "iat",
    "count",
    "mdp",
    "code",
    "rows",
    "bytes",
    "sample",
    "attempt",
    "status",
)


def market_number_key(key: str) -> bool:
    """Numbers under ``key`` are market data (an instrument, a quantity, a price), never an
    identifier, whatever id they equal."""
    known = _MARKET_NUMBER_KEYS.get(key)
    if known is None:
        folded = key.casefold()
        known = any(word in folded for word in _NOT_ID_NUMBERS)
        if len(_MARKET_NUMBER_KEYS) < 10_000:  # a payload of made-up keys stays bounded
            _MARKET_NUMBER_KEYS[key] = known
    return known


#: :func:`market_number_key`'s answers: a book asks for the same dozen keys on every row.
_MARKET_NUMBER_KEYS: dict[str, bool] = {}


class KeyMemo:
    """The key rule's answers for the keys one redactor or scanner meets, remembered per
    instance, not per process. An answer costs microseconds and a book asks for the same few
    dozen keys on every row; at most ``LIMIT`` keys of each kind are kept, so a payload of
    made-up keys cannot grow the memo without end (past it, answers are computed each time)."""

    LIMIT = 10_000

    def __init__(self) -> None:
        #: raw key -> PLAIN, SECRET or the identifier kind; read directly by hot loops
        self.actions: dict[object, str] = {}
        self._listed: dict[str, bool] = {}

    def action(self, key: object) -> str:
        """:func:`key_action` of ``key``; any key that is not a string is plain data."""
        action = self.actions.get(key)
        if action is None:
            action = key_action(key) if isinstance(key, str) else PLAIN
            if len(self.actions) < self.LIMIT:
                self.actions[key] = action
        return action

    def is_identifier(self, key: str) -> bool:
        """:func:`is_identifier_key`, remembered."""
        return self.action(key) not in (PLAIN, SECRET)

    def listed(self, key: str) -> bool:
        """:func:`is_listed`, remembered."""
        listed = self._listed.get(key)
        if listed is None:
            listed = is_listed(key)
            if len(self._listed) < self.LIMIT:
                self._listed[key] = listed
        return listed
