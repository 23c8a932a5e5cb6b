"""Loading the organisation config: the shipped sample, a minimal config, file problems."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from bot.config.loader import (
    ConfigError,
    ConfigIssue,
    check_config,
    default_config_path,
    load_config,
)
from bot.config.model import Level, MonthDay, OfficeInterval, SecretRef, Texts
from bot.config.validate_platforms import is_secret_key
from bot.config.yaml_lines import YamlSyntaxError, format_path, load_yaml

MINIMAL = """\
organisation:
  name: Testabteilung
calendar:
  timezone: Europe/Berlin
  office_hours:
    monday: ["09:00-12:00"]
  holidays: {country: DE}
customer_groups:
  - {id: kern, name: Kernverwaltung}
teams:
  - id: bk
    name: Team BK
    level: 1
    members:
      - {id: bk.a, name: A, ids: {local: bk.a}}
    leads: [bk.a]
  - id: chefs
    name: Leitung
    level: 3
    members:
      - {id: chef, name: C, ids: {local: chef}}
    leads: [chef]
    closure_days: [2025-03-03, "2025-03-04"]
topics:
  - {id: frage, name: Frage, team: bk}
sla:
  policies:
    schnell: {kind: working_hours, duration: 1h}
    normal: {kind: same_or_next_working_day, min_remaining: "0"}
  default: {first_response: normal, resolution: normal, update: normal}
  by_level:
    3: {resolution: schnell}
escalation:
  sweep_interval: 10s
  digest_at: "07:30"
  interim_update_after: 4h
  claim_lease: 2h
  default_policy: p
  policies:
    p:
      repeat_every: 1h
      max_repeats: 0
      steps: [{id: s, deadline: resolution, action: escalate}]
platforms:
  local: {enabled: true}
"""


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the first occurrence of `marker`."""
    return text.count("\n", 0, text.index(marker)) + 1


def write(tmp_path: Path, text: str, name: str = "hotline.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped sample --------------------------------------------------------------
def test_sample_is_valid() -> None:
    assert check_config() == []
    assert check_config(default_config_path()) == []
    assert default_config_path().name == "sample.yaml"


def test_sample_has_the_nine_teams_at_their_levels() -> None:
    config = load_config()
    levels = {team.id: team.level for team in config.teams}
    assert levels == {
        "bk": Level.FIRST,
        "kreditoren": Level.SECOND,
        "debitoren": Level.SECOND,
        "haushalt": Level.SECOND,
        "anlagen": Level.SECOND,
        "zahlungsverkehr": Level.SECOND,
        "ccc": Level.SECOND,
        "zib": Level.SECOND,
        "leitung": Level.THIRD,
    }
    assert config.first_level_team().id == "bk"
    leadership = config.leadership_team()
    assert leadership is not None and leadership.leads == ("leitung.hoffmann",)


def test_sample_teams_have_members_leads_and_channels() -> None:
    config = load_config()
    for team in config.teams:
        assert 2 <= len(team.members) <= 3
        assert team.lead_people(), team.id
        assert set(team.channels) == {"local", "matrix", "teams"}
        assert team.channels["local"] == team.id
        assert team.channels["matrix"] == f"#hotline-{team.id}:stadt.example"
    bk = config.team("bk")
    assert [p.id for p in bk.members] == ["bk.berger", "bk.yilmaz", "bk.schmidt"]
    assert bk.leads == ("bk.berger",)
    assert config.team("kreditoren").leads == ("kred.wagner",)
    assert [t.id for t in config.teams_of("local", "bk.yilmaz")] == ["bk"]
    person = bk.person_for("matrix", "@anna.berger:stadt.example")
    assert person is not None and person.display_name == "Anna Berger"


def test_sample_topics_route_to_known_teams() -> None:
    config = load_config()
    team_ids = {team.id for team in config.teams}
    assert all(topic.team in team_ids for topic in config.topics)
    menu = [t.id for t in config.top_level_topics()]
    assert menu[:3] == ["haushalt", "kontierung", "belegstand"]
    assert menu[-1] == "sonstiges"
    assert config.topic("belegstand").team == "bk"
    assert config.topic("srm").team == "ccc"
    assert config.topic("elkabu").team == "zib"
    assert [t.id for t in config.subtopics("srm")] == ["srm.bestellung", "srm.wareneingang"]
    assert config.topic("kreditoren.mahnung").parent == "kreditoren"
    assert [t.id for t in config.topics if t.confidential] == ["beschwerde"]


def test_sample_calendar_sla_escalation_platforms() -> None:
    config = load_config()
    calendar = config.calendar
    assert calendar.timezone == "Europe/Berlin"
    assert calendar.office_hours[0] == (
        OfficeInterval(time(8, 30), time(12)),
        OfficeInterval(time(13), time(15, 30)),
    )
    assert calendar.office_hours[4] == (OfficeInterval(time(8, 30), time(12)),)
    assert 5 not in calendar.office_hours and 6 not in calendar.office_hours
    assert (calendar.holiday_country, calendar.holiday_subdivision) == ("DE", "BY")
    assert calendar.holiday_categories == ("public", "catholic")
    assert calendar.closure_days == (MonthDay(12, 24), MonthDay(12, 31))

    reaktion = config.sla.policies["reaktion"]
    assert (reaktion.kind, reaktion.min_remaining) == (
        "same_or_next_working_day",
        timedelta(hours=2),
    )
    assert config.sla.policies["loesung"].duration == timedelta(hours=16)
    assert config.sla.targets_for(Level.SECOND).update == "aktualisierung"

    escalation = config.escalation
    assert escalation.sweep_interval == timedelta(seconds=30)
    assert escalation.digest_at == time(8, 45)
    standard = escalation.policies[escalation.default_policy]
    assert [s.action for s in standard.steps] == [
        "remind",
        "notify_lead",
        "escalate",
        "remind",
        "escalate",
        "notify_lead",
    ]
    assert escalation.by_level == {}
    assert config.escalation_policy_for("kreditoren") is standard
    assert standard.steps[0].before == timedelta(hours=2)
    assert standard.steps[2].after == timedelta(hours=1)
    assert (standard.repeat_every, standard.max_repeats) == (timedelta(hours=4), 3)

    assert config.platforms["local"].enabled
    matrix = config.platforms["matrix"]
    assert not matrix.enabled
    assert matrix.secrets == {"access_token": SecretRef(env="HOTLINE_MATRIX_ACCESS_TOKEN")}
    assert "access_token" not in matrix.settings and "enabled" not in matrix.settings
    assert matrix.settings["allowed_homeservers"] == ("stadt.example",)
    assert set(config.platforms["teams"].secrets) == {"app_id", "app_password", "tenant_id"}


def test_sample_customer_groups() -> None:
    config = load_config()
    handbooks = {g.id: g.handbook for g in config.customer_groups}
    assert len(handbooks) == 8
    assert {k: v for k, v in handbooks.items() if v} == {
        "f1-f3": "f1-f3",
        "f4": "f4",
        "kern": "kern",
    }
    assert config.customer_group("kern").name.get("en").startswith("Core administration")


# --- a minimal config, its defaults and options ---------------------------------------
def test_minimal_config_and_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.default_locale == "de"
    assert config.customer_groups[0].name == Texts(de="Kernverwaltung")
    assert config.customer_groups[0].handbook is None
    assert config.calendar.holiday_subdivision is None
    assert config.calendar.holiday_categories == ("public",)
    assert config.team("bk").channels == {}
    assert config.team("chefs").closure_days == (date(2025, 3, 3), date(2025, 3, 4))
    assert config.sla.policies["normal"].min_remaining == timedelta(0)
    third = config.sla.targets_for(Level.THIRD)
    assert (third.first_response, third.resolution) == ("normal", "schnell")
    assert config.escalation.policies["p"].max_repeats == 0


def test_secret_refs_resolve_from_env_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = write(tmp_path, "s3cr3t-from-file\n", "matrix_token")
    text = MINIMAL + (
        "  matrix:\n"
        "    enabled: false\n"
        f"    access_token: {{file: {secret_file}}}\n"
        "  teams:\n"
        "    enabled: false\n"
        "    app_password: {env: TEST_TEAMS_PASSWORD}\n"
    )
    config = load_config(write(tmp_path, text))
    monkeypatch.setenv("TEST_TEAMS_PASSWORD", "from-env")
    assert config.platforms["teams"].secrets["app_password"].resolve() == "from-env"
    assert config.platforms["matrix"].secrets["access_token"].resolve() == "s3cr3t-from-file"
    monkeypatch.delenv("TEST_TEAMS_PASSWORD")
    assert config.platforms["teams"].secrets["app_password"].resolve() is None


def test_clear_text_secret_is_rejected(tmp_path: Path) -> None:
    text = MINIMAL + "  teams:\n    enabled: false\n    app_password: hunter2\n"
    issues = check_config(write(tmp_path, text))
    line = line_of(text, "app_password")
    assert [(i.path, i.line) for i in issues] == [("platforms.teams.app_password", line)]
    assert "secrets must not be written into the config file" in issues[0].message


@pytest.mark.parametrize(
    "name", ["access_token", "app_password", "client_secret", "api_key", "apiKey", "key", "TOKEN"]
)
def test_secret_key_names(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize(
    "name", ["keywords", "monkey", "keyboard", "tokenizer", "secretary", "app_id", "tenant_id"]
)
def test_harmless_key_names(name: str) -> None:
    assert not is_secret_key(name)


# --- file and YAML problems -----------------------------------------------------------
def test_missing_file_is_an_issue(tmp_path: Path) -> None:
    issues = check_config(tmp_path / "nope.yaml")
    assert len(issues) == 1
    assert "not found" in issues[0].message and issues[0].line is None
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert info.value.issues == issues


def test_yaml_syntax_error_is_one_issue_with_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("    level: 1\n", "    level: 1\n   broken: [\n", 1)
    issues = check_config(write(tmp_path, text))
    assert len(issues) == 1
    assert issues[0].line == line_of(text, "broken") == 14
    assert issues[0].message.startswith("invalid YAML")


def test_empty_file_is_an_issue(tmp_path: Path) -> None:
    issues = check_config(write(tmp_path, "# nothing yet\n"))
    assert len(issues) == 1 and "empty" in issues[0].message


def test_duplicate_key_is_an_issue(tmp_path: Path) -> None:
    text = MINIMAL.replace("    level: 3\n", "    level: 3\n    level: 2\n", 1)
    issues = check_config(write(tmp_path, text))
    line = line_of(text, "level: 2")
    assert [(i.path, i.line) for i in issues] == [("teams[1].level", line)]
    assert f"duplicate key 'level' (first defined on line {line - 1})" in issues[0].message


def test_config_error_lists_every_issue(tmp_path: Path) -> None:
    text = MINIMAL.replace("team: bk}", "team: bx}").replace("duration: 1h", "duration: -1h")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    error = info.value
    assert error.source == str(path)
    assert [i.path for i in error.issues] == ["topics[0].team", "sla.policies.schnell.duration"]
    assert "2 problems" in str(error)
    assert (
        f"{path}:{line_of(text, 'bx')}: topics[0].team: topic routes to unknown team 'bx'"
        in str(error)
    )


def test_issue_str() -> None:
    issue = ConfigIssue("topics[3].team", "unknown team 'x'", 57, "sample.yaml")
    assert str(issue) == "sample.yaml:57: topics[3].team: unknown team 'x'"
    assert str(ConfigIssue("teams", "no team", None)) == "config: teams: no team"


# --- YAML with lines --------------------------------------------------------------------
def test_yaml_lines_and_merge_keys() -> None:
    doc = load_yaml(
        "base: &b\n  x: 1\n  y: [a, b]\nother:\n  <<: *b\n  x: 2\nlist:\n  - one\n  - {k: v}\n"
    )
    assert doc.data == {
        "base": {"x": 1, "y": ["a", "b"]},
        "other": {"x": 2, "y": ["a", "b"]},
        "list": ["one", {"k": "v"}],
    }
    assert doc.lines[("other", "x")] == 6
    assert doc.lines[("other", "y")] == 3
    assert doc.lines[("list", 1, "k")] == 9
    assert doc.line_of(("list", 1, "k", "deeper")) == 9
    assert doc.problems == []


def test_yaml_keys_keep_their_text() -> None:
    doc = load_yaml("by_level:\n  2: {a: 1}\n  yes: 3\n")
    assert doc.data == {"by_level": {"2": {"a": 1}, "yes": 3}}


def test_yaml_syntax_error_has_line() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        load_yaml("a: 1\nb: [1, 2\n")
    assert info.value.line == 3


def test_format_path() -> None:
    assert format_path(("teams", 0, "members", 1, "ids", "matrix")) == (
        "teams[0].members[1].ids.matrix"
    )
    assert format_path(()) == "(top level)"


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: each level repeats the one before ten times (10**9 values)."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        previous = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{previous}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_not_expanded(tmp_path: Path) -> None:
    """Repro (issue 14): a 9-level alias bomb kept check-config busy past 60 s at 3.4 GB."""
    issues = check_config(write(tmp_path, billion_laughs()))
    assert len(issues) == 1
    assert "expands to more than 200,000 values" in issues[0].message
    with pytest.raises(YamlSyntaxError):
        load_yaml(billion_laughs())


def test_ordinary_aliases_and_merges_still_work() -> None:
    doc = load_yaml("base: &b {x: 1, y: 2}\nteam:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n")
    assert doc.data == {
        "base": {"x": 1, "y": 2},
        "team": {"x": 1, "y": 3},
        "list": [{"x": 1, "y": 2}, {"x": 1, "y": 2}],
    }


def test_a_huge_config_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("# padding\n" * 300_000, encoding="utf-8")  # about 3 MB of comments
    issues = check_config(path)
    assert len(issues) == 1 and "the limit is 2,097,152" in issues[0].message
