"""A notice that names a staff member on purpose (`Notice.mentions`, e.g. the thread reply
"Julia Weber: Sie haben Nr. 5 übernommen.") mentions them for real: in Teams the `<at>` tag
in the text plus the `mention` entity (activity entities for a text message, `msteams`
entities for a card), in Matrix a pill plus `m.mentions` (issue 15)."""

from __future__ import annotations

from adapters.matrix.render import Mention as MatrixMention
from adapters.matrix.render import message_content
from adapters.teams.mentions import Mention, mentions_of
from adapters.teams.render import activity
from bot.config.loader import load_config
from bot.kernel.notices import Choice, Notice

CONFIG = load_config(None)
JULIA = "fb9f98ee-26dc-404b-9abc-a90b0b7d48d0"  # hh.weber's Teams (Entra object) id
ACK = Notice(text="Julia Weber: Sie haben Nr. 5 übernommen.", ticket_id=5, thread=5)
NAMED = Notice(text=ACK.text, ticket_id=5, thread=5, mentions=("hh.weber",))
ENTITY = {
    "type": "mention",
    "text": "<at>Julia Weber</at>",
    "mentioned": {"id": JULIA, "name": "Julia Weber"},
}


def test_a_thread_reply_mentions_the_agent_in_teams() -> None:
    mentions = mentions_of(CONFIG, NAMED)
    assert mentions == [Mention("Julia Weber", JULIA)]
    sent = activity(NAMED, mentions)
    assert sent["text"] == "<at>Julia Weber</at>: Sie haben Nr. 5 übernommen."
    assert sent["textFormat"] == "markdown" and sent["entities"] == [ENTITY]


def test_no_mention_without_the_person_or_without_their_name_in_the_text() -> None:
    assert mentions_of(CONFIG, ACK) == []  # the name alone, typed by anyone, mentions nobody
    assert "entities" not in activity(ACK, mentions_of(CONFIG, ACK))
    elsewhere = Notice(text="Sie haben Nr. 5 übernommen.", mentions=("hh.weber",))
    sent = activity(elsewhere, mentions_of(CONFIG, elsewhere))
    assert "entities" not in sent and "<at>" not in sent["text"]
    assert mentions_of(CONFIG, Notice(text="x", mentions=("nobody.here",))) == []
    assert mentions_of(None, NAMED) == []  # an adapter without the config mentions nobody


def test_a_card_mentions_in_its_text_and_msteams_entities() -> None:
    card_notice = Notice(
        text="Julia Weber bearbeitet Nr. 5.",
        title="Nr. 5",
        choices=(Choice("resolve:5", "Erledigt"),),
        mentions=("hh.weber",),
    )
    content = activity(card_notice, mentions_of(CONFIG, card_notice))["attachments"][0]["content"]
    texts = [b["text"] for b in content["body"] if b["type"] == "TextBlock"]
    assert "<at>Julia Weber</at> bearbeitet Nr. 5." in texts
    assert content["msteams"] == {"entities": [ENTITY]}


def test_a_name_with_markup_characters_is_escaped_in_the_tag() -> None:
    odd = Mention("A <b> & C", "id-1")
    assert odd.tag == "<at>A &lt;b&gt; &amp; C</at>"
    assert odd.entity()["text"] == odd.tag and odd.entity()["mentioned"]["name"] == "A <b> & C"


def test_the_same_reply_in_matrix_is_a_pill_with_m_mentions() -> None:
    person = CONFIG.person("hh.weber")
    assert person is not None
    user = person.platform_ids["matrix"]
    content = message_content(NAMED, [MatrixMention(person.display_name, user)])
    pill = f'<a href="https://matrix.to/#/{user}">Julia Weber</a>'
    assert content["formatted_body"].startswith(f"<p>{pill}: Sie haben Nr. 5")
    assert content["m.mentions"] == {"user_ids": [user]}
    assert content["body"] == NAMED.text  # the plain body names her as written
