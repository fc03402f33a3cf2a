"""Given names with their gender, familiar forms, and capitalised words that are no names (for attribution and reading)."""

from __future__ import annotations

# Capitalised words that are not names even when they recur mid-sentence.
STOP_CAPS = frozenset(
    """i i'm i'll i've i'd a an the and but or nor so yet for if then than when while where whence
    what who whom whose which why how that this these those there here he she it we they you me him
    her us them my mine your yours his hers its our ours their theirs no not yes oh ah aye nay well
    now just only still even perhaps indeed surely certainly very quite all any each every some
    many much more most one two three four five six seven eight nine ten first second third last
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december god heaven lord christmas easter english french
    chapter volume book part end after before at by in on of to from with without into upon as
    about over under again also because though although unless until till since do does did don't
    can't won't is was are were be been being have has had let let's may might must shall should will
    would could ok okay dear poor good great old young little sir madam ma'am mamma papa mama
    mother father hello goodbye thank thanks please why what's that's it's there's here's
    """.split()
)
MALE_FIRST = frozenset(
    """john james william george charles thomas henry edward robert richard joseph david michael
    peter paul mark luke matthew andrew philip frederick arthur albert alfred harry jack tom tim
    frank fred walter ben benjamin samuel sam daniel dan jesse christopher
    chris stephen steven edmund edgar francis hugh ralph roger simon victor oliver harold louis
    ernest jim joe bob bill will willy ned ted nick tony mike steve kevin brian eric adam alan
    howard herbert hubert horace humphrey isaac jacob jeremiah jonathan josiah julius lawrence
    leonard lewis martin matthias maurice nathaniel nathan nicholas patrick percy reginald rupert
    rufus silas solomon stanley theodore timothy vincent wallace jeff jeffrey gerald godfrey
    gilbert gabriel gregory guy abraham alexander alec ambrose anthony archibald augustus
    bartholomew basil bernard cecil clarence claude clement cyril dennis dick donald douglas
    duncan eugene ezra felix gerard gordon herman jasper jerome lionel marcus norman owen
    raymond roland ronald rudolph sebastian seth sidney tobias tristram wilfred carl karl
    hans otto fritz pierre jean jacques giovanni pedro carlos
    emil oscar august gus ole nils lars axel sven ivan sergei dmitri boris nikolai alexei pavel
    antonio giuseppe luigi marco francesco juan jose miguel diego manuel luis rafael henri louis andre
    marcel etienne ludwig heinrich johann wilhelm franz klaus jan piet stefan tomas ahmed ali hassan
    omar ibrahim abdul rajesh arjun ravi kenji hiroshi takeshi wei chen ethan jacob liam noah mason
    logan lucas aiden caleb dylan tyler ryan kyle justin brandon austin jason derek travis wesley
    clyde floyd lloyd elmer homer virgil luther chester lester wilbur orville cyrus amos eli enoch
    thurston chauncey cornelius thaddeus winthrop prescott ellsworth
    """.split()
)
FEMALE_FIRST = frozenset(
    """mary anne ann anna jane elizabeth emma catherine charlotte sarah susan margaret lucy harriet
    fanny julia maria louisa caroline isabella sophia sophie alice emily eleanor elinor marianne
    lydia kitty kate katherine helen ellen grace rose rosie amy amelia lily laura clara
    rachel rebecca hannah esther ruth martha mrs jenny jennifer jessica linda
    nancy betty beth liz lizzy molly polly sally penelope olivia victoria agnes edith dorothy
    abigail ada adela adelaide alexandra alma amanda angela annie arabella augusta barbara
    beatrice bertha blanche bridget carol caroline cecilia cecily charity clarissa constance
    cora cordelia daisy deborah delia diana dinah dora edna eliza ella eloise elsie emmeline
    ethel eudora eva eve evelyn flora florence frances gertrude gwendolen hattie henrietta hester
    hilda honora ida irene isabel ivy jemima joan josephine judith julia juliet lavinia leonora
    letitia lilian lillian lois lottie louise lucilla lucinda lucretia mabel madeline marian
    marion marjorie matilda maud maude meg mildred millicent minnie miriam myra nora norah
    olive pauline pearl phoebe priscilla prudence rosa rosalind rosamond sophy susanna sybil
    tabitha theresa ursula vera violet virginia winifred winnie
    marie signa thea hilda ingrid astrid greta olga natasha tatiana sonia sonya anya katya irina
    maria lucia giulia francesca carmen dolores isabel teresa rosita mercedes yvonne colette
    simone juliette genevieve brigitte gretchen liesel heidi fatima aisha leila priya aiko yuki mei
    emma olivia ava mia chloe zoe madison hailey ashley brittany tiffany amber crystal kayla megan
    lauren kelly heather tracy wendy cindy sandra brenda donna debbie pamela ruby hazel mabel myrtle
    """.split()
)

# Familiar forms of given names: "Tom" is the "Thomas Hardy" of the same chapter.
NICKNAMES: dict[str, tuple[str, ...]] = {
    nick: tuple(full.split("/"))
    for full, nicks in (
        ("thomas", "tom tommy"), ("william", "bill billy will willy willie"), ("robert", "bob bobby rob"),
        ("richard", "dick dickie"), ("james", "jim jimmy jamie jem"), ("john", "jack johnny"),
        ("edward", "ned ted teddy ned"), ("henry", "harry hal"), ("charles", "charley charlie"),
        ("frederick", "fred freddy freddie"), ("samuel", "sam sammy"), ("joseph", "joe joey"),
        ("benjamin", "ben benny"), ("daniel", "dan danny"), ("nicholas", "nick"), ("anthony", "tony"),
        ("andrew", "andy"), ("philip", "pip phil"), ("katherine/catherine/katharine", "kate kitty katie"),
        ("elizabeth", "bess bessie beth betsy betsey liz lizzy lizzie eliza"),
        ("margaret", "meg maggie peggy"), ("mary", "polly molly mamie"), ("sarah", "sally"),
        ("helen/eleanor", "nell nelly nellie"), ("frances", "fanny"), ("jane", "jenny jennie"),
        ("susan", "sukey sue susie"), ("anne/ann", "annie nan nancy"), ("josephine", "jo"),
        ("theodore", "theo"), ("alexander", "alec alex sandy"), ("matthew", "matt"),
    )
    for nick in nicks.split()
}
# Words that open sentences and are never a name's first word ("Throughout Senior year she ...").
OPENERS = frozenset("""throughout during through across along among around behind beside besides beyond despite
    except inside outside toward towards against above below beneath between near past like unlike within
    meanwhile suddenly finally later soon today tonight yesterday tomorrow sometimes often always never once
    twice both either neither whether whatever whenever wherever however therefore thus hence instead
    otherwise nevertheless moreover furthermore accordingly anyway somehow already almost nearly""".split())
