"""Validate the optional `workshops` section: the feedback form and how long it stays open."""

from __future__ import annotations

from bot.config.model import WorkshopQuestion, WorkshopSettings
from bot.config.validate_base import Checker, Ids
from bot.config.yaml_lines import KeyPath

KINDS = ("scale", "text")
MAX_FEEDBACK_DAYS = 90


def check_workshops(ck: Checker, raw: object, path: KeyPath) -> WorkshopSettings | None:
    """`workshops: {feedback_days: 14, questions: [{id, kind: scale|text, text}]}`."""
    defaults = WorkshopSettings()
    start = len(ck.issues)
    node = ck.mapping({} if raw is None else raw, path, optional=("feedback_days", "questions"))
    if node is None:
        return None
    days = defaults.feedback_days
    if node.get("feedback_days") is not None:
        value = ck.integer(node["feedback_days"], (*path, "feedback_days"), minimum=1)
        if value is not None and value > MAX_FEEDBACK_DAYS:
            ck.report((*path, "feedback_days"), f"at most {MAX_FEEDBACK_DAYS} days, found {value}")
        days = value or days
    questions = defaults.questions
    if node.get("questions") is not None:
        items = ck.sequence(node["questions"], (*path, "questions"), "a list of questions")
        ids = Ids(ck, "question id")
        parsed = [
            _question(ck, item, (*path, "questions", index), ids)
            for index, item in enumerate(items or [])
        ]
        if items is not None and not items:
            ck.report((*path, "questions"), "the feedback form needs at least one question")
        questions = tuple(q for q in parsed if q is not None)
    if len(ck.issues) > start:
        return None
    return WorkshopSettings(questions=questions, feedback_days=days)


def _question(ck: Checker, raw: object, path: KeyPath, ids: Ids) -> WorkshopQuestion | None:
    node = ck.mapping(raw, path, required=("id", "kind", "text"))
    if node is None or not {"id", "kind", "text"} <= set(node):
        return None
    question_id = ids.add(node["id"], (*path, "id"))
    kind = ck.choice(node["kind"], (*path, "kind"), KINDS, "question kind")
    text = ck.texts(node["text"], (*path, "text"), "a question")
    if question_id is None or kind is None or text is None:
        return None
    return WorkshopQuestion(question_id, "scale" if kind == "scale" else "text", text)
