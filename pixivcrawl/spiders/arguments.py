"""Spider arguments as declared models: the value types of ``-a`` arguments, the model every spider's
arguments derive from (:class:`PixivParams`), the spider side (:class:`SpiderArguments`), and the
one-sentence error that names a wrong argument and what it may be.

``scrapy crawl … -a name=value`` hands every value over as a string. The types below accept the spellings
pixivcrawl has always taken — dates ``2024-01-31`` and ``20240131``, flags ``1/0/true/false/yes/no`` (any case),
numbers with spaces around them — and refuse anything else with a :class:`SpiderArgumentError`. A spider's
model (a :class:`PixivParams`, usually combined from the mixins of :mod:`pixivcrawl.spiders.params`) is
checked by :func:`validate_arguments`, which turns the first error pydantic reports into that one sentence:

- a value one of our types or validators refused: its own sentence, e.g. ``Argument series_id must be a
  positive number, not 'abc'.``;
- a value outside a ``Literal``: ``Argument order must be one of date_d, date, …, not 'best'.`` (the allowed
  values in the model's JSON schema order);
- a required argument left out: ``Argument word is required (<its description>).``;
- an argument the model does not declare: ``Unknown argument 'colour'; this spider takes: <its fields>.``
  (scrapyd's own, ``_job``, ``_version`` …, start with ``_`` and are let through).

Fields are validated in their declared order, then the model validators run: a rule that concerns one field
given the ones before it is a field validator (so that it is reported in that field's turn), a rule over
several fields is a model validator.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from scrapy_spider_metadata import Args

#: the spellings of a flag, and those that mean yes
FLAG_VALUES = ("0", "1", "true", "false", "yes", "no")
TRUE_VALUES = ("1", "true", "yes")


class SpiderArgumentError(ValueError):
    """A spider argument is missing or malformed; the message is one sentence naming it."""


def choice_error(name: str, allowed: tuple[Any, ...] | list[Any], value: Any, suffix: str = "") -> SpiderArgumentError:
    """``Argument <name> must be one of <allowed><suffix>, not <value!r>.``"""
    return SpiderArgumentError(f"Argument {name} must be one of {', '.join(map(str, allowed))}{suffix}, "
                               f"not {value!r}.")


def _positive(value: Any, info: ValidationInfo) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number <= 0:
        raise SpiderArgumentError(f"Argument {info.field_name} must be a positive number, not {value!r}.")
    return number


def _whole(value: Any, info: ValidationInfo) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise SpiderArgumentError(f"Argument {info.field_name} must be a whole number of 0 or more, not {value!r}.")
    return number


def _day(value: Any, info: ValidationInfo) -> date:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no instant
        except ValueError:
            continue
    raise SpiderArgumentError(f"Argument {info.field_name} must be a date like 2024-01-31 or 20240131, "
                              f"not {value!r}.")


def _flag(value: Any, info: ValidationInfo) -> bool:
    text = str(value).strip().lower()
    if text not in FLAG_VALUES:
        raise choice_error(str(info.field_name), FLAG_VALUES, text)
    return text in TRUE_VALUES


def _text(value: Any) -> str:
    return str(value)


def comma_list(value: Any) -> Any:
    """``"a, b,,c"`` → ``["a", "b", "c"]`` (a list given in-process is kept)."""
    if isinstance(value, list | tuple):
        return list(value)
    return [v.strip() for v in str(value).split(",") if v.strip()]


#: a number of 1 or more (ids, page counts)
PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_positive)]
#: a number of 0 or more (pixels, bookmarks)
WholeNumber = Annotated[int, Field(ge=0), BeforeValidator(_whole)]
#: a calendar day, ``YYYY-MM-DD`` or ``YYYYMMDD``
Day = Annotated[date, BeforeValidator(_day)]
#: ``1/0``, ``true/false``, ``yes/no``
Flag = Annotated[bool, BeforeValidator(_flag)]
#: any text, as given
Text = Annotated[str, BeforeValidator(_text)]


class PixivParams(BaseModel):
    """What every spider's argument model shares: unknown arguments refused first (those starting with ``_``,
    scrapyd's, dropped), and the credentials the crawl needs (App API spiders: a refresh token)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_only(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {key: value for key, value in data.items() if not str(key).startswith("_")}
        unknown = sorted(key for key in data if key not in cls.model_fields)
        if unknown:
            raise SpiderArgumentError(f"Unknown argument {unknown[0]!r}; this spider takes: "
                                      f"{', '.join(cls.model_fields)}.")
        return data

    @property
    def pixiv_credentials(self) -> tuple[str, ...]:
        """The credentials a crawl with these arguments cannot run without (checked by PixivAuthMiddleware)."""
        return ("refresh_token",)


ParamsT = TypeVar("ParamsT", bound=PixivParams)


def validate_arguments(model: type[ParamsT], kwargs: dict[str, Any]) -> ParamsT:
    """``model`` validated from spider arguments ``kwargs``; raises :class:`SpiderArgumentError` (one sentence,
    the first error) when one is wrong."""
    try:
        return model(**kwargs)
    except ValidationError as exc:
        raise first_error(exc, model) from None


def first_error(exc: ValidationError, model: type[BaseModel]) -> SpiderArgumentError:
    """The first entry of a pydantic ``ValidationError`` of ``model``, as one sentence naming the argument."""
    entry = exc.errors()[0]
    error = entry.get("ctx", {}).get("error")
    if isinstance(error, SpiderArgumentError):
        return error
    name = str(entry["loc"][0]) if entry["loc"] else ""
    prop = model.model_json_schema()["properties"].get(name, {})
    if entry["type"] == "literal_error":
        return choice_error(name, allowed_values(prop), entry["input"])
    if entry["type"] == "missing":
        return SpiderArgumentError(f"Argument {name} is required ({prop.get('description', 'no default')}).")
    return SpiderArgumentError(f"Argument {name}: {entry['msg'].rstrip('.')}, not {entry['input']!r}.")


def allowed_values(prop: dict[str, Any]) -> list[Any]:
    """The values a JSON-schema property allows (``enum``, of a list's items, or of an optional), else []."""
    for option in [prop, prop.get("items", {}), *prop.get("anyOf", ())]:
        if "enum" in option:
            return list(option["enum"])
        if "enum" in option.get("items", {}):
            return list(option["items"]["enum"])
    return []


class SpiderArguments(Args[ParamsT]):
    """The spider side: ``class SearchSpider(PixivSpider[SearchParams])`` declares the model (``Args`` of
    scrapy-spider-metadata: ``get_spider_metadata(SearchSpider)`` gives its JSON schema), and the spider's
    ``__init__`` calls :meth:`accept_arguments`.

    The validated arguments are ``self.args``, and each is also set as the spider attribute of its name (as
    Scrapy sets ``-a`` arguments, but validated: ``self.max_pages`` is an int or None); :meth:`use_arguments`
    derives what else the callbacks read. A wrong argument does not stop the construction (``Args.__init__``
    would raise, and log the whole ``ValidationError`` at ERROR): ``self.args`` is None and
    ``self.argument_error`` keeps the one sentence, for the spider to report when it starts."""

    #: credentials this spider cannot run without (checked by PixivAuthMiddleware at start); set from the
    #: arguments (``PixivParams.pixiv_credentials``) once they are valid
    pixiv_credentials: tuple[str, ...] = ("refresh_token",)

    def accept_arguments(self, kwargs: dict[str, Any]) -> None:
        """Validate the spider's keyword arguments ``kwargs`` and set ``self.args``, ``self.arguments`` (every
        argument as given, as strings: they name a shared frontier) and ``self.argument_error``."""
        self.arguments = {key: str(value) for key, value in kwargs.items()}
        self.argument_error: SpiderArgumentError | None = None
        self.args: ParamsT | None = None
        try:
            self.args = validate_arguments(self.params_model(), kwargs)
        except SpiderArgumentError as exc:
            self.argument_error = exc
            return
        for name in type(self.args).model_fields:
            setattr(self, name, getattr(self.args, name))
        self.pixiv_credentials = self.args.pixiv_credentials
        self.use_arguments(self.args)

    @classmethod
    def params_model(cls) -> type[PixivParams]:
        """The argument model this spider class declares (``PixivSpider[ItsParams]``, perhaps through a
        generic base such as ``SeriesSpider[ItsParams]``); TypeError for a class that declares none."""
        for klass in cls.__mro__:
            for base in getattr(klass, "__orig_bases__", ()):
                for arg in get_args(base):
                    if isinstance(arg, type) and issubclass(arg, PixivParams):
                        return arg
        raise TypeError(f"{cls.__name__} declares no argument model: subclass PixivSpider[ItsParams]")

    def use_arguments(self, args: Any) -> None:
        """Derive, from valid arguments ``args``, what the callbacks read besides the arguments themselves."""
