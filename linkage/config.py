"""The config file's schema (pydantic), loading, path resolution and readable error messages.

A config error names the file, the key path (`sources.jzdj.formt`), what is wrong and, for a
misspelt key or value, the closest valid spelling.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator,
                      model_validator)

from linkage.attributes import ATTRIBUTES, ENTITY_TYPES, EntityType
from linkage.errors import ConfigError
from linkage.link.settings import LinkageSettings
from linkage.measure.settings import BurdenSettings

FORMATS = ("csv", "tsv", "xlsx", "xls", "json", "jsonl", "parquet", "sqlite", "database")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312", "big5", "utf-16")
_EXTENSIONS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".xls": "xls", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
    ".pq": "parquet", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite",
}


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    title: str | None = None
    system: str | None = None
    path: Path | None = None
    url: str | None = None
    format: Literal[FORMATS] | None = None  # type: ignore[valid-type]
    encoding: Literal[ENCODINGS] = "auto"  # type: ignore[valid-type]
    sheet: str | int = 0
    table: str | None = None
    query: str | None = None  # a server source (postgresql:// or mysql://): rows of a SELECT
    # the column(s) holding the department's own record number, which identify a record from
    # one export to the next: a server source is read in their order (default: its primary
    # key), and the entity store keys records by them (default: a hash of the row)
    key: str | list[str] | None = None
    header_row: Literal["auto"] | int = "auto"
    entity: EntityType = "person"
    columns: dict[str, str] = Field(default_factory=dict)
    updates_per_year: float | None = Field(default=None, gt=0)

    @field_validator("header_row")
    @classmethod
    def _positive_header(cls, v):
        if isinstance(v, int) and v < 1:
            raise ValueError("header_row is a 1-based line number (or auto)")
        return v

    @model_validator(mode="after")
    def _check(self):
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of `path` or `url`")
        if self.format is None:
            if self.url is not None:
                self.format = "database"
            else:
                fmt = _EXTENSIONS.get(self.path.suffix.lower())
                if fmt is None:
                    raise ValueError(
                        f"cannot tell the format of {self.path.name!r} from its extension; "
                        f"set `format` to one of: {', '.join(FORMATS)}")
                self.format = fmt
        # imported here: the connectors import this module
        from linkage.connectors.server import server_kind

        server = self.url is not None and server_kind(self.url) is not None
        if self.query is not None and not server:
            raise ValueError("`query` is for postgresql:// and mysql:// sources")
        if self.table and self.query:
            raise ValueError("give one of `table` or `query`, not both")
        if self.format in ("sqlite", "database") and not (self.table or self.query):
            raise ValueError(f"a {self.format} source needs `table` (the table to read)"
                             + (" or `query`" if server else ""))
        valid = ATTRIBUTES[self.entity]
        for header, attr in self.columns.items():
            if attr not in valid:
                raise ValueError(
                    f"columns.{header}: {attr!r} is not a {self.entity} attribute"
                    + _suggest(attr, list(valid)))
        return self

    def key_columns(self) -> list[str]:
        """The configured `key` as a list (empty: none configured)."""
        return [self.key] if isinstance(self.key, str) else list(self.key or [])


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    language: Literal["zh", "en"] = "zh"


class ReviewSettings(BaseModel):
    """Clerical review (`linkage review`): where the labels live and how big an audit sample is."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    # default: <config folder>/<config stem>.labels.csv; relative paths from the config's folder
    labels: Path | None = None
    audit_size: int = Field(default=400, ge=20)  # pairs per entity type in an audit sample


ENGINE_KINDS = ("duckdb", "spark")
# keys that mean something to one engine only
_ENGINE_KEYS = {"duckdb": ("memory_limit", "threads"), "spark": ("master", "conf")}
# a Spark master URL: local[N] / local[*] (with an optional failure count), a standalone or
# Kubernetes master, or yarn
_SPARK_MASTER = re.compile(r"local(\[(\d+|\*)(,\s*\d+)?\])?|(spark|k8s|mesos)://\S+|yarn")


class EngineSettings(BaseModel):
    """The engine a run works in.  `kind: duckdb` (the default) is the embedded database:
    `memory_limit` ("4GB", "512MB"; default half of the machine's memory) bounds its buffers —
    past it, it spills to disk — and `threads` its worker threads (default: one per core).
    `kind: spark` runs on a Spark session (pip install 'linkage[spark]'): `master` is where
    ("local[2]", "spark://host:7077", "yarn"; default: spark-submit's `--master`, else
    local[*]) and `conf` any Spark settings ({"spark.executor.memory": "8g", …}); a local master
    runs two shuffle partitions per thread and shows no progress bars unless `conf` says
    otherwise (linkage.engine.spark_engine.run_conf)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal[ENGINE_KINDS] = "duckdb"  # type: ignore[valid-type]
    memory_limit: str | None = None
    threads: int | None = Field(default=None, ge=1)
    master: str | None = None
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v):
        if v not in ENGINE_KINDS:
            raise ValueError(f"{v!r} is not an engine{_suggest(v, list(ENGINE_KINDS))}; "
                             f"write duckdb or spark (引擎只能是 duckdb 或 spark)")
        return v

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, v):
        if v is not None and not re.fullmatch(r"\s*\d+(\.\d+)?\s*[KMGT]i?B\s*", v, re.IGNORECASE):
            raise ValueError(f"{v!r} is not a size; write it like \"4GB\" or \"512MB\" "
                             "(内存上限写作 4GB、512MB)")
        return v

    @field_validator("master")
    @classmethod
    def _master(cls, v):
        if v is not None and not _SPARK_MASTER.fullmatch(v.strip()):
            raise ValueError(f"{v!r} is not a Spark master; write it like \"local[2]\", "
                             "\"spark://host:7077\" or \"yarn\" "
                             "(Spark master 写作 local[2]、spark://主机:7077 或 yarn)")
        return v and v.strip()

    @field_validator("conf")
    @classmethod
    def _conf(cls, v):
        wrong = [k for k in v if not k.startswith("spark.")]
        if wrong:
            raise ValueError(f"{wrong[0]!r} is not a Spark setting; Spark settings start with "
                             "\"spark.\" (Spark 配置项以 spark. 开头)")
        return v

    @model_validator(mode="after")
    def _keys_of_the_kind(self):
        for kind, keys in _ENGINE_KEYS.items():
            misplaced = [k for k in keys if k in self.model_fields_set]
            if kind != self.kind and misplaced:
                raise ValueError(
                    f"`{misplaced[0]}` is a {kind} setting and this run's engine is "
                    f"{self.kind}; remove it or set `kind: {kind}` "
                    f"（{misplaced[0]} 只用于 {kind} 引擎，当前引擎是 {self.kind}）")
        return self

    def memory(self) -> str:
        """The memory limit as DuckDB takes it: the configured one, else half the machine's."""
        if self.memory_limit:
            return self.memory_limit.replace(" ", "")
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return f"{max(total // 2 // 2**20, 256)}MiB"

    def duckdb_limits(self) -> dict[str, str | int]:
        """The DuckDB settings every connection of a run takes (the run's database, the entity
        store's, the CSV reader's, the commands' that open its output again): memory_limit and,
        where configured, threads."""
        limits: dict[str, str | int] = {"memory_limit": self.memory()}
        if self.threads:
            limits["threads"] = self.threads
        return limits

    def spark_conf(self) -> dict[str, str]:
        """`conf` as Spark takes it: every value a string (true/false lower-case)."""
        return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in self.conf.items()}

    def described(self) -> dict:
        """The engine as metrics.json records it."""
        if self.kind == "spark":
            return {"kind": "spark", "master": self.master, "conf": self.spark_conf()}
        return {"kind": "duckdb", "memory_limit": self.memory(), "threads": self.threads}


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = "linkage"
    output: Path = Path("out")
    region: str | None = None
    # the entity store of monthly runs (linkage.store): stable entity ids and run history
    store: Path | None = None
    sources: dict[str, Source]
    linkage: dict[EntityType, LinkageSettings] = Field(default_factory=dict)
    burden: BurdenSettings = Field(default_factory=BurdenSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)

    # set by load_config, not by the file
    _base_dir: Path = PrivateAttr(default=Path("."))
    _config_path: Path | None = PrivateAttr(default=None)

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def config_path(self) -> Path | None:
        return self._config_path

    @field_validator("sources")
    @classmethod
    def _some_sources(cls, v):
        if not v:
            raise ValueError("no sources: list at least one under `sources`")
        return v

    @model_validator(mode="after")
    def _store_on_duckdb(self):
        if self.store is not None and self.engine.kind == "spark":
            raise ValueError("`store` (the entity store of monthly runs) works with the DuckDB "
                             "engine only, not yet with `engine: {kind: spark}`; remove one of "
                             "them （实体库 store 暂时只支持 DuckDB 引擎，不支持 Spark）")
        return self

    def linkage_for(self, entity: EntityType) -> LinkageSettings:
        return self.linkage.get(entity) or LinkageSettings()

    def output_dir(self) -> Path:
        return (self.base_dir / self.output).resolve()

    def labels_path(self) -> Path:
        """The review labels file: `review.labels`, else `<config stem>.labels.csv` beside the
        config; never inside the output folder (a run replaces that folder whole)."""
        stem = self.config_path.stem if self.config_path is not None else self.name
        path = (self.base_dir / (self.review.labels or f"{stem}.labels.csv")).resolve()
        if path.is_relative_to(self.output_dir()):
            raise ConfigError(f"{self.config_path or 'config'}: `review.labels`: {path} is inside "
                              f"the output folder {self.output_dir()}, which each run replaces; "
                              "keep the labels beside the config")
        return path

    def store_path(self) -> Path | None:
        return None if self.store is None else (self.base_dir / self.store).resolve()

    def source_path(self, source: Source) -> Path:
        return (self.base_dir / source.path).resolve()

    def system_of(self, key: str) -> str:
        return self.sources[key].system or key


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names valid at a location, walking the models (and dict values) along the key path."""

    def unwrap(tp):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
        if typing.get_origin(tp) is dict:
            return tp
        models = [unwrap(a) for a in typing.get_args(tp)]
        return next((m for m in models if m is not None), None)

    current: Any = model
    for part in loc[:-1]:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = unwrap(field.annotation) if field else None
        elif typing.get_origin(current) is dict:
            current = unwrap(typing.get_args(current)[1])
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _format_error(err: dict, where: str) -> str:
    loc = tuple(p for p in err["loc"] if p not in ("function-after",))
    path = ".".join(str(p) for p in loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(Config, loc)
        return f"{where}: unknown key `{path}`{_suggest(loc[-1], allowed)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        return (f"{where}: `{path}` = {err.get('input')!r} is not valid{_suggest(err.get('input'), options)}; "
                f"expected {expected}")
    if kind == "missing":
        return f"{where}: missing key `{path}`"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: `{path}`: {msg}"


def _check_duplicate_keys(text: str, where: str) -> None:
    """YAML silently keeps the last of two equal keys; a repeated source key is an error here."""

    class _Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(
                    f"{where}, line {key_node.start_mark.line + 1}: key {key!r} appears twice "
                    f"(first on line {seen[key] + 1}); each source key must be unique")
            seen[key] = key_node.start_mark.line
        return loader.construct_mapping(node, deep)

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    yaml.load(text, Loader=_Loader)


MAX_CONFIG_VALUES = 100_000  # values of the document with its aliases (*name) expanded


def _check_size(text: str, where: str) -> None:
    """Refuse a document whose aliases expand it beyond MAX_CONFIG_VALUES (a "billion laughs"
    alias bomb takes minutes and gigabytes to validate); a real config has a few hundred."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    sizes: dict[int, int] = {}

    def size(node) -> int:
        if id(node) not in sizes:
            sizes[id(node)] = 0  # a recursive alias counts once
            children = node.value if isinstance(node, yaml.SequenceNode) else \
                [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else []
            sizes[id(node)] = min(1 + sum(size(child) for child in children), MAX_CONFIG_VALUES + 1)
        return sizes[id(node)]

    if root is not None and size(root) > MAX_CONFIG_VALUES:
        raise ConfigError(f"{where}: the config expands to more than {MAX_CONFIG_VALUES:,} values "
                          "through YAML aliases (&name / *name); write the values out instead")


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError with a readable message."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    try:
        _check_size(text, str(path))
        _check_duplicate_keys(text, str(path))
        data = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(f"{path}: the YAML is nested too deeply to be a config") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (name, output, sources, …)")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(_format_error(e, str(path)) for e in exc.errors())) from None
    config._base_dir = path.resolve().parent
    config._config_path = path.resolve()
    _check_linkage_columns(config, str(path))
    if not config.base_dir.is_relative_to(config.output_dir()):  # else a run says "holds the input"
        config.labels_path()  # a labels file inside the output folder is refused now, not mid-run
    return config


def _linkage_column_refs(settings: LinkageSettings) -> list[tuple[str, str]]:
    """(key path, column) of every records column the linkage settings name."""
    refs = [(f"blocking_rules[{i}]", key) for i, rule in enumerate(settings.blocking_rules or [])
            for key in rule.columns]
    refs += [(f"identifiers[{i}]", column) for i, column in enumerate(settings.identifiers or [])]
    for i, comp in enumerate(settings.comparisons or []):
        refs.append((f"comparisons[{i}].column", comp.column))
        if comp.fallback:
            refs.append((f"comparisons[{i}].fallback", comp.fallback))
        for j, level in enumerate(comp.levels or []):
            refs += [(f"comparisons[{i}].levels[{j}].columns", c) for c in level.columns or []]
    return refs


def _check_linkage_columns(config: Config, where: str) -> None:
    """A rule or comparison naming a column the records never have is a typo, not a blank."""
    if not config.linkage:
        return
    from linkage.link.keys import check_key, columns_read
    from linkage.normalize import record_columns

    errors = []
    for entity, settings in config.linkage.items():
        known = record_columns(entity)
        for key, column in _linkage_column_refs(settings):
            problem = check_key(column, known)
            if problem is not None:
                wrong = next((c for c in columns_read(column) if c not in known), column)
                errors.append(f"{where}: `linkage.{entity}.{key}`: {problem} of {entity} "
                              f"records{_suggest(wrong, sorted(known))}")
    if errors:
        raise ConfigError("\n".join(errors))


def config_json_schema() -> dict:
    schema = Config.model_json_schema()
    schema["title"] = "linkage config"
    return schema


__all__ = ["Config", "ConfigError", "Source", "load_config", "config_json_schema", "ENTITY_TYPES"]
