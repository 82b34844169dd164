import json

import pytest
from click.testing import CliRunner

from linkage.config import ConfigError, config_json_schema, load_config


def _cfg(write, text):
    return write("config.yaml", text)


def test_valid_config_resolves_paths_and_formats(write, tmp_path):
    path = _cfg(write, """
name: t
output: out
sources:
  jzdj: {title: 居住登记, path: data/a.csv}
  gzz: {path: b.db, table: people, entity: person}
  aqsc: {path: c.xlsx, entity: enterprise, columns: {单位: name}}
report: {language: en}
""")
    cfg = load_config(path)
    assert cfg.output_dir() == tmp_path / "out"
    assert cfg.source_path(cfg.sources["jzdj"]) == tmp_path / "data" / "a.csv"
    assert [s.format for s in cfg.sources.values()] == ["csv", "sqlite", "xlsx"]
    assert cfg.system_of("jzdj") == "jzdj"
    assert cfg.report.language == "en"


@pytest.mark.parametrize("text,message", [
    ("sources: {a: {path: a.csv, formt: csv}}", "unknown key `sources.a.formt` (did you mean 'format'?)"),
    ("sources: {a: {path: a.csv, entity: persn}}", "`sources.a.entity` = 'persn' is not valid (did you mean 'person'?)"),
    ("sources: {a: {path: a.csv, encoding: gkb}}", "(did you mean 'gbk'?)"),
    ("sources: {a: {path: a.csv}}\nreprot: {}", "unknown key `reprot` (did you mean 'report'?)"),
    ("sources: {a: {path: a.foo}}", "cannot tell the format of 'a.foo'"),
    ("sources: {a: {path: a.db}}", "needs `table`"),
    ("sources: {a: {path: a.csv, columns: {姓名: nme}}}", "'nme' is not a person attribute (did you mean 'name'?)"),
    ("sources: {}", "no sources"),
    ("sources: {a: {path: a.csv}}\nengine: {memory_limit: lots}", "'lots' is not a size"),
    ("sources: {a: {path: a.csv}}\nengine: {threads: 0}", "`engine.threads`"),
    ("sources: {a: {path: a.csv}}\nengine: {kind: sprak}",
     ("`engine.kind`: 'sprak' is not an engine (did you mean 'spark'?); write duckdb or spark "
      "(引擎只能是 duckdb 或 spark)")),
    ("sources: {a: {path: a.csv}}\nengine: {kind: spark, memory_limit: 4GB}",
     ("`engine`: `memory_limit` is a duckdb setting and this run's engine is spark; remove it "
      "or set `kind: duckdb` （memory_limit 只用于 duckdb 引擎，当前引擎是 spark）")),
    ("sources: {a: {path: a.csv}}\nengine: {threads: 2, master: 'local[2]'}",
     "`master` is a spark setting and this run's engine is duckdb; remove it or set `kind: spark`"),
    ("sources: {a: {path: a.csv}}\nengine: {conf: {spark.executor.memory: 8g}}",
     "`conf` is a spark setting and this run's engine is duckdb"),
    ("sources: {a: {path: a.csv}}\nengine: {kind: spark, master: 'local(2)'}",
     "`engine.master`: 'local(2)' is not a Spark master"),
    ("sources: {a: {path: a.csv}}\nengine: {kind: spark, conf: {executor.memory: 8g}}",
     "'executor.memory' is not a Spark setting"),
    ("sources: {a: {path: a.csv}}\nstore: s\nengine: {kind: spark}",
     "`store` (the entity store of monthly runs) works with the DuckDB engine only"),
    ("name: x", "missing key `sources`"),
    ("sources: {a: {path: a.csv}\n", "not valid YAML"),
    ("sources:\n  a: {path: a.csv}\n  a: {path: b.csv}\n", "line 3: key 'a' appears twice"),
])
def test_config_errors_name_key_path_and_suggest(write, text, message):
    path = _cfg(write, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_engine_memory_limit_defaults_to_half_the_machine(write):
    cfg = load_config(_cfg(write, "sources: {a: {path: a.csv}}"))
    import os
    half = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2 // 2**20
    assert cfg.engine.memory() == f"{half}MiB"
    cfg = load_config(_cfg(write, "sources: {a: {path: a.csv}}\nengine: {memory_limit: 1.5 GB, threads: 1}"))
    assert (cfg.engine.memory(), cfg.engine.threads) == ("1.5GB", 1)


@pytest.mark.parametrize("master", ["local", "local[2]", "local[*]", "local[4,2]",
                                    "spark://head:7077", "yarn", "k8s://https://api:6443"])
def test_spark_engine_settings(write, master):
    cfg = load_config(_cfg(write, f"sources: {{a: {{path: a.csv}}}}\nengine: {{kind: spark, "
                                  f"master: '{master}', conf: {{spark.executor.memory: 8g, "
                                  "spark.sql.adaptive.enabled: true, spark.executor.cores: 4}}"))
    assert cfg.engine.kind == "spark" and cfg.engine.master == master
    assert cfg.engine.spark_conf() == {"spark.executor.memory": "8g", "spark.executor.cores": "4",
                                       "spark.sql.adaptive.enabled": "true"}
    assert cfg.engine.described()["kind"] == "spark"
    assert load_config(_cfg(write, "sources: {a: {path: a.csv}}")).engine.kind == "duckdb"


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "none.yaml")


def test_validate_and_config_schema_commands(write):
    from linkage.cli import main

    good = _cfg(write, "sources: {a: {path: a.csv}}")
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(good)])
    assert result.exit_code == 2 and "a.csv: file not found" in result.output
    write("a.csv", "姓名\n张三\n")
    result = runner.invoke(main, ["validate", str(good)])
    assert result.exit_code == 0 and "valid (1 sources" in result.output
    schema = json.loads(runner.invoke(main, ["config-schema"]).output)
    assert schema == config_json_schema()
    assert "sources" in schema["properties"] and "base_dir" not in schema["properties"]
    engine = schema["$defs"]["EngineSettings"]["properties"]
    assert engine["kind"]["enum"] == ["duckdb", "spark"] and engine["kind"]["default"] == "duckdb"
    assert {"memory_limit", "threads", "master", "conf"} <= set(engine)
