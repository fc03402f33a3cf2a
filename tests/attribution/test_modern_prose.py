"""Attribution on modern prose: names outside the lists of given names, heard only as the subject of a sentence."""

from __future__ import annotations

from narrate.attribution.attribute import discover_characters, script_text
from narrate.attribution.identities import name_described
from narrate.model import DIALOGUE, NARRATION, Character, Segment

DRIVE = """Marisol drove with both hands on the wheel.

"Okay," said Marisol. "Say it."

Kofi kept his eyes on the road. "Say what?"

"Whatever it is you've been not saying since Accra."

Kofi didn't push. He watched the fields go by.

"Does it snow a lot there?"

"Not much."

Nothing happened for a mile. Nothing moved on the road.
"""


def test_a_name_that_only_starts_sentences_and_acts_is_a_character():
    names = {c.name for c in discover_characters([DRIVE])}
    assert "Kofi" in names
    assert "Nothing" not in names and "Accra" not in names


def test_its_lines_are_its_own():
    lines = [s for s in script_text(DRIVE).segments if s.kind == DIALOGUE]
    assert [s.speaker for s in lines[:4]] == ["Marisol", "Marisol", "Kofi", "Marisol"]


CASE = """Detective Javier Ruiz had been a cop for nineteen years.

"It is motor oil," Ruiz said. "We just call it coffee."

Elizabeth Adebayo smiled at him. "I brought my own."

The lab was cold. Priscilla Haas, who everyone called Cilla, was waiting for him by the table.

"You're going to love this, Javi," Cilla said.

"The witness. Liz Adebayo. She said it was a copy," the detective said.

Cilla raised an eyebrow. "Liz? You're on nickname terms with the witness now?"

"Now, Liz, I think you might be a target," Ruiz said.
"""


def test_the_names_people_go_by_are_theirs():
    chars = {c.name: c for c in discover_characters([CASE])}
    assert "Liz" in chars["Elizabeth Adebayo"].aliases  # a pet form of her given name
    assert "Cilla" in chars["Priscilla Haas"].aliases and "Cilla" not in chars  # "who everyone called Cilla"
    assert "Detective Javier Ruiz" in chars["Ruiz"].aliases  # a detective's title, like an inspector's
    lines = [s for s in script_text(CASE).segments if s.kind == DIALOGUE]
    assert lines[4].speaker == "Ruiz"  # "the detective said": the detective the book has named


def test_no_one_is_merged_or_made_up_by_a_phone_call_an_auxiliary_a_place_or_an_estate_agent():
    text = ('"Where is everyone?" Sarah asked.\n\n"Out," said Tom.\n\nThat night Tom called Sarah to apologise.\n\n'
            '"It\'s fine," Sarah said.\n\nWilliam Price came in. "Will you at least take my coat?" asked Anne.\n\n'
            'London seemed smaller than she remembered. London looked grey and tired. She walked on.\n\n'
            'Agent Cole showed his badge. The agent behind the desk looked up. "We don\'t get many visits," the agent '
            'said.\n')
    chars = {c.name: c for c in discover_characters([text])}
    assert "Sarah" in chars and "Sarah" not in chars["Tom"].aliases  # "Tom called Sarah": he phoned her
    assert "Will" not in chars["William Price"].aliases  # "Will you ...?" is no name
    assert "London" not in chars
    assert not any("Cole" in " ".join((c.name, *c.aliases)) and "the agent" in c.aliases for c in chars.values())


WARD = """Maya sat by the bed. Her brother Tom was asleep, and she held his hand.

"He's going to be fine," Maya said to herself.

A nurse poked her head in. "Visiting hours are over."

"Five more minutes?"

The door opened and a uniformed officer leaned in. "Ms. Cole? We need a statement."

Maya looked up. "Now?"

At the end of the hall, a man in a grey suit waved at them. "Officer! Over here."

A porter came in, and Maya stood up. "Is it time?"
"""


def test_someone_brought_in_acting_just_before_a_speech_speaks_it():
    lines = [s for s in script_text(WARD).segments if s.kind == DIALOGUE]
    got = [s.speaker for s in lines]
    assert got[1] == "Nurse"  # not Tom, who is asleep, nor Maya
    assert got[3] == "Uniformed Officer" and got[4] == "Maya"
    assert got[5] == "Man"  # "a man in a grey suit waved": the phrase after the noun is his, not a new subject
    assert got[6] == "Maya"  # the clause nearest the speech is hers


INTERVIEW = """Detective Javier Ruiz had been a cop for nineteen years. He rubbed his eyes. He had never seen a witness \
bring her own coffee.

"You don't mind, do you?" Elizabeth Adebayo set the mug on the table and sat down. "The stuff in your lobby looked like motor oil."

"It is motor oil," Ruiz said. He pushed his own cup aside. "We just call it coffee."

Ruiz opened his notebook. He read his notes twice.

She smiled politely. She was younger than he'd expected, thirty at most.

"Ms. Adebayo, you were the last person to see Dr. Mehta on Thursday night."
"""


def test_a_speech_calling_someone_by_title_and_surname_is_not_theirs():
    lines = [s for s in script_text(INTERVIEW).segments if s.kind == DIALOGUE]
    assert lines[-1].speaker == "Ruiz"  # "Ms. Adebayo" is Elizabeth Adebayo, called by the detective


DINNER = """My mother has made the lasagne, which is how I know something is wrong. Tess has her phone face down beside \
her plate.

"Well, don't wait for it to get cold."

I pour the wine. It is the wine Tess brought, which is better than the wine my mother buys.

"So," I say. "Lasagne."

"People cook on Tuesdays, Nell. It's allowed." She lifts her glass and sets it down without drinking.

My mother folds her napkin in half, and then in half again.

"I've had an offer on the house."
"""


def test_a_first_person_narrators_unnamed_mother_is_a_character_of_her_own():
    chars = {c.name: c for c in discover_characters([DINNER])}
    assert chars["Mother"].gender == "female"
    lines = [s for s in script_text(DINNER).segments if s.kind == DIALOGUE]
    assert lines[4].speaker == "Mother"  # "She lifts her glass": my mother, named last, not Tess


INTERVIEW_ROOM = """DI Grace Okafor read the custody record twice. DS Hale leaned in the doorway. Okafor looked up at him.

"He's asked for a solicitor," said DS Hale. "Duty one."

Okafor closed the file. She stood and smoothed her jacket.

"Say as little as possible," said DI Okafor. "Write things down."

Hale nodded. He held the door for her.

"Noted," said the inspector.

"Ma'am," the sergeant said.
"""


def test_british_police_ranks_are_titles():
    chars = {c.name: c for c in discover_characters([INTERVIEW_ROOM])}
    assert "DI Okafor" in chars["Okafor"].aliases and "DI Grace Okafor" in chars["Okafor"].aliases  # one person
    hale = next(c for c in chars.values() if "Hale" in (c.name, *c.aliases))
    assert {"Hale", "DS Hale"} <= {hale.name, *hale.aliases}
    assert not {"Inspector", "Sergeant"} & set(chars)  # "the inspector" is DI Okafor, no one of their own
    lines = [s.speaker for s in script_text(INTERVIEW_ROOM).segments if s.kind == DIALOGUE]
    assert lines == [hale.name, hale.name, "Okafor", "Okafor", "Okafor", hale.name]


MEETING = """Kwame drums his pen on the table. Delphine checks her phone.

"We launched with Ledgerly," you say carefully. "It's on the website."

"Nobody likes Ledgerly," Kwame says.

"They don't want cool," you add. "They want it to be over."

You look at Delphine. She shrugs.
"""


def test_you_in_a_second_person_story_is_the_narrator():
    lines = [s.speaker for s in script_text(MEETING).segments if s.kind == DIALOGUE]
    assert lines == ["Narrator", "Narrator", "Kwame", "Narrator", "Narrator"]
    assert "You" not in {c.name for c in discover_characters([MEETING])}


def test_a_name_in_a_lower_case_chat_handle_is_still_a_name():
    chat = "theo_k: ur a menace jun\ntheo_k: a beautiful menace but still\n"
    story = """Theo was already at our table when I got to the dining hall. He had two coffees in front of him.

"Charger," he said, holding out his hand.

I gave it to him. He gave me a coffee.

Marcus dropped his tray next to mine. "Morning, lovebirds."

"We are not—" I started.

"—lovebirds," Theo finished. "Thank you, Marcus."
"""
    assert "Theo" in {c.name for c in discover_characters([chat, story])}


LAMP_ROOM = """Hermione bent over the log. She had been reading it all morning. Draco read over her shoulder. He \
smelled of the sea. Hermione ignored him. She turned the page.

"The last keeper was a Squib," said Draco.

"How do you know that?" Hermione asked.

"Because I read the log before you did," said Draco. He turned the page for her.

Ginny came in shaking the rain off her coat. She looked from Hermione to Draco.

"Oh, this is brilliant," said Ginny. "Harry owes me five Galleons."

"Ginny!"

Draco set down his cup. "I'll be in the lamp room," he said stiffly, "where people knock."

When he had gone, Ginny dropped into a chair. "So. How long has that been going on?"

"Nothing is going on."

"He made you tea."

"He made himself tea."
"""


def test_one_who_left_the_scene_speaks_no_more_in_it():
    lines = [s.speaker for s in script_text(LAMP_ROOM).segments if s.kind == DIALOGUE]
    assert "Draco" not in lines[-4:]  # he has gone: the two left talk
    assert lines[-4] != lines[-3] and set(lines[-4:]) == {"Ginny", "Hermione"}


GROUP_CHAT = """Theo was already at our table when I got to the dining hall. He had two coffees in front of him.

"Charger," Theo said, holding out his hand.

Marcus dropped his tray next to mine. He grinned at us. "Morning, lovebirds," said Marcus.

[02:04] theo_k: who took my charger
[02:05] priya.exe: not me
[02:05] marcus: go to sleep theo
[02:07] me: i have it. sorry

Note: the coffee was cold.
"""


def test_a_chat_message_is_its_senders_whom_the_handle_names():
    segs = script_text(GROUP_CHAT).segments
    chat = [(s.speaker, s.text.strip()) for s in segs if s.kind == DIALOGUE and s.rule == "chat"]
    assert chat == [("Theo", "who took my charger"), ("Priya", "not me"), ("Marcus", "go to sleep theo"),
                    ("Narrator", "i have it. sorry")]
    assert all(s.kind != DIALOGUE for s in segs if "coffee was cold" in s.text)  # one "Note:" line is no chat
    said = [s.speaker for s in segs if s.kind == DIALOGUE and s.rule != "chat"]
    assert said == ["Theo", "Marcus"]


def test_a_chat_handle_makes_its_sender_someone_of_the_story():
    text = ("[02:05] priya.exe: not me\n[02:05] theo_k: go to sleep\n\n"
            "My roommate rolled over in the other bed. \"What?\" Priya mumbled.\n")
    assert "Priya" in {c.name for c in discover_characters([text])}
    assert [s.speaker for s in script_text(text).segments if s.kind == DIALOGUE][-1] == "Priya"


def _chapter(parts: list[tuple[str, str, str | None, int]]) -> list[Segment]:
    """Segments from (kind, text, speaker, paragraph), laid end to end."""
    segs, at = [], 0
    for kind, text, speaker, paragraph in parts:
        segs.append(Segment(kind, at, at + len(text), text, paragraph, speaker, "turn-taking" if speaker else None))
        at += len(text)
    return segs


def test_a_described_speaker_is_not_renamed_after_someone_the_narration_named_apart():
    # A line given to the captain by mistake, answered "..., Orrin": Orrin Vale, whom the narration brought in
    # at the stove while the captain was on deck, is someone else; the captain stays the captain.
    chapter = _chapter([
        (NARRATION, "Lady Maren stood at the stern rail.\n\n", None, 0),
        (DIALOGUE, "You'll catch your death out here, my lady,", "Captain", 1),
        (NARRATION, " said the captain.\n\n", None, 1),
        (NARRATION, "Below them, Orrin Vale was warming his feet at the stove.\n\n", None, 2),
        (DIALOGUE, "Shut the door, shut the door,", "Captain", 3),
        (NARRATION, " he said.\n\n", None, 3),
        (DIALOGUE, "The river is already in, Orrin. It is in my boots.", "Lady Maren", 4),
    ])
    cast = (Character("Lady Maren", "female", ("Maren",)), Character("Orrin Vale", "male", ("Orrin",)),
            Character("Captain", "unknown", ("captain", "the captain")))
    name_described([chapter], cast)
    assert [s.speaker for s in chapter if s.kind == DIALOGUE] == ["Captain", "Captain", "Lady Maren"]


def test_one_word_after_a_comma_says_how_the_described_speaker_spoke_not_who_he_is():
    from narrate.attribution.descriptions import parse

    assert parse("the old wizard, unconcerned").words == ("old", "wizard")
    assert parse("the old wizard").words == ("old", "wizard")


def test_a_lower_case_name_inside_a_chat_message_does_not_unmake_the_name():
    chat = "".join(f"marcus: {m}\n" for m in ["go to sleep theo", "theo", "theo pls", "theo i swear", "ok theo"])
    story = """Theo was already at our table when I got to the dining hall. He had two coffees.

"Charger," he said, holding out his hand. Theo smiled.

Theo left.
"""
    assert "Theo" in {c.name for c in discover_characters([chat, story])}


def test_leaving_a_light_on_in_the_kitchen_is_not_leaving():
    text = """Ana sat at the table. Ben stood at the sink.

"Did you lock up?" said Ana.

"I did," said Ben.

Ben left the kitchen light on. Ana watched him.

"Why is the light on?"

"So the burglars can see what they're doing."
"""
    got = [s.speaker for s in script_text(text).segments if s.kind == DIALOGUE]
    assert got[-1] == "Ben"  # still in the kitchen, answering


def test_a_stranger_making_a_noise_nearby_does_not_take_the_next_line():
    text = """Ana and Ben sat at the window table of the cafe.

"You're leaving, then," said Ana.

"Tomorrow," said Ben.

Behind them, a waiter dropped a glass. "You could have told me sooner."
"""
    got = [s.speaker for s in script_text(text).segments if s.kind == DIALOGUE]
    assert got[-1] == "Ana"


def test_a_parent_the_narrator_only_remembers_is_no_one_in_the_scene():
    text = """My mother died when I was six. My mother used to say the sea was a liar.

Jess was waiting on the pier. She held two coffees.

"You're late," she said.

I took a coffee. "The bus was late."

"The bus is always late," said Jess.
"""
    assert "Mother" not in {c.name for c in discover_characters([text])}
    got = [s.speaker for s in script_text(text).segments if s.kind == DIALOGUE]
    assert got == ["Jess", "Narrator", "Jess"]


def test_a_name_met_once_before_a_she_said_is_someone():
    text = """Jess was waiting on the pier. She held two coffees.

"You're late," she said.

I took a coffee. "The bus was late."
"""
    assert [s.speaker for s in script_text(text).segments if s.kind == DIALOGUE] == ["Jess", "Narrator"]


def test_a_voice_heard_just_before_a_speech_is_its_speakers():
    text = """Dana held the phone to her ear. Tomasz watched her.

"Let me talk to her," Dana said.

There was a long pause, a rustle, and then a girl's voice, thin and frightened: "Please, I just want to go home."
"""
    assert [s.speaker for s in script_text(text).segments if s.kind == DIALOGUE] == ["Dana", "Girl"]
