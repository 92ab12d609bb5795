#!/usr/bin/env python3
"""Writes bench/search/ml100k-queries.tsv, the labelled search set of bench/search/evaluate.py (run once; the TSV is committed).

Every query was written by hand before any fusion was evaluated on it. Four classes:
  genre        the 18 ml-100k genre names as typed ("Children's", "Sci-Fi")      relevant: every movie with that genre
  genre-phrase genre pairs and plain-word synonyms ("romantic comedy", "scary movies")  relevant: movies with ALL those genres
  decade       a decade, alone or with a genre ("1980s horror")               relevant: movies released in it (u.item release date), with the genre
  paraphrase   a description of one famous film's story, avoiding its title's words where possible   relevant: that one movie
Split: within each class, the queries in the order written here are shuffled with random.Random(16) and the first
ceil(n/2) are "validation", the rest "test". Fusion defaults are chosen on validation only; test is reported.
"""
import math, random, sys

GENRES = ["Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
          "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"]

PHRASES = [  # (query, genres that must all be present)
    ("animated children's comedy", ["Animation", "Children's", "Comedy"]),
    ("romantic comedy", ["Romance", "Comedy"]),
    ("science fiction action movie", ["Sci-Fi", "Action"]),
    ("war drama", ["War", "Drama"]),
    ("crime thriller", ["Crime", "Thriller"]),
    ("horror thriller", ["Horror", "Thriller"]),
    ("musical for children", ["Musical", "Children's"]),
    ("animated musical", ["Animation", "Musical"]),
    ("action adventure", ["Action", "Adventure"]),
    ("western comedy", ["Western", "Comedy"]),
    ("film noir mystery", ["Film-Noir", "Mystery"]),
    ("romantic drama", ["Romance", "Drama"]),
    ("sci-fi horror", ["Sci-Fi", "Horror"]),
    ("fantasy adventure", ["Fantasy", "Adventure"]),
    ("crime comedy", ["Crime", "Comedy"]),
    ("mystery thriller", ["Mystery", "Thriller"]),
    ("family adventure film for kids", ["Children's", "Adventure"]),
    ("love story set during a war", ["War", "Romance"]),
    ("comedy drama", ["Comedy", "Drama"]),
    ("scary movies", ["Horror"]),
    ("funny movies", ["Comedy"]),
    ("cartoons", ["Animation"]),
    ("cowboy movies", ["Western"]),
    ("detective mystery", ["Mystery"]),
    ("musicals with singing and dancing", ["Musical"]),
    ("kids movies", ["Children's"]),
    ("space science fiction", ["Sci-Fi"]),
    ("war films", ["War"]),
]

DECADES = [  # (query, first year, genres)
    ("movies from the 1950s", 1950, []),
    ("1960s films", 1960, []),
    ("seventies movies", 1970, []),
    ("films from the 1980s", 1980, []),
    ("classic movies from the 1940s", 1940, []),
    ("1930s films", 1930, []),
    ("1980s horror", 1980, ["Horror"]),
    ("1970s crime films", 1970, ["Crime"]),
    ("1990s romantic comedy", 1990, ["Romance", "Comedy"]),
    ("1950s westerns", 1950, ["Western"]),
    ("1960s musicals", 1960, ["Musical"]),
    ("1940s film noir", 1940, ["Film-Noir"]),
]

PARAPHRASES = [  # (item id, description); the first 20 are the set's original paraphrases
    ("1", "animated cowboy doll and space ranger action figure come to life"),
    ("22", "scottish rebel fights the english king for freedom"),
    ("28", "astronauts stranded after an oxygen tank explodes on the way to the moon"),
    ("50", "farm boy joins rebels to fight the galactic empire"),
    ("56", "hitmen, a boxer and a gangster's wife in interlocking los angeles crime stories"),
    ("64", "banker wrongly jailed for murder escapes prison after decades"),
    ("69", "slow-witted man from alabama witnesses decades of american history"),
    ("71", "young lion prince flees after his father's death then reclaims the throne"),
    ("82", "cloned dinosaurs escape on an island theme park"),
    ("94", "boy left behind by his family at christmas defends the house from burglars"),
    ("95", "street thief finds a magic lamp with a genie"),
    ("96", "cyborg from the future protects a boy from a liquid metal killer robot"),
    ("98", "fbi trainee asks a cannibal psychiatrist to help catch a serial killer"),
    ("100", "pregnant police chief investigates a kidnapping in snowy minnesota"),
    ("121", "aliens attack the world's cities on the fourth of july"),
    ("127", "aging mafia don hands the crime family to his reluctant son"),
    ("173", "farm boy turned pirate rescues his true love from an evil prince"),
    ("174", "archaeologist races nazis to find the ark of the covenant"),
    ("204", "teenager travels thirty years into the past in a time machine car"),
    ("313", "romance aboard the doomed ocean liner that hit an iceberg"),
    ("258", "radio astronomer receives a signal from extraterrestrials and travels through a wormhole"),
    ("294", "lawyer magically unable to tell a lie for a whole day after his son's birthday wish"),
    ("286", "badly burned pilot in an italian villa recalls a wartime love affair in the north african desert"),
    ("288", "masked killer stalks high school teenagers and quizzes them about horror films"),
    ("300", "terrorists hijack the us president's plane and he fights back"),
    ("7", "convict sent back in time to stop a virus that wipes out humanity"),
    ("237", "sports agent fired after writing a mission statement keeps only one football player client"),
    ("117", "chemist and a former sas prisoner break into alcatraz to stop rogue marines"),
    ("405", "spy framed for the death of his team hangs from wires to steal a list at cia headquarters"),
    ("79", "doctor wrongly convicted of killing his wife escapes and hunts a one-armed man"),
    ("151", "poor boy wins a golden ticket to tour a candy maker's factory"),
    ("168", "king arthur's knights search for a sacred cup in an absurd british comedy with coconuts"),
    ("269", "unemployed sheffield steelworkers become male strippers"),
    ("257", "secret agents in dark suits police the aliens living on earth"),
    ("423", "boy befriends a stranded alien and helps him phone home"),
    ("318", "german businessman saves jewish workers during the holocaust"),
    ("276", "suicidal alcoholic screenwriter falls for a prostitute in the desert gambling city"),
    ("302", "three 1950s los angeles detectives uncover police corruption"),
    ("183", "crew of a space freighter hunted by a creature that bursts from a chest"),
    ("216", "can men and women be just friends: a couple over twelve years in new york"),
    ("234", "giant great white shark terrorises a beach town"),
    ("202", "weatherman lives the same day over and over"),
    ("191", "jealous rival composer recalls the life of mozart"),
    ("89", "detective hunts escaped replicants in a rainy future los angeles"),
    ("12", "survivor tells police about a mysterious crime lord named keyser soze"),
    ("357", "rebellious patient clashes with a tyrannical nurse in a mental hospital"),
    ("135", "astronauts and a murderous computer on a mission to jupiter"),
    ("97", "union soldier at a frontier post befriends the sioux"),
    ("70", "englishman keeps meeting the same american woman at friends' ceremonies and a burial"),
    ("196", "inspiring english teacher at a boys' prep school says seize the day"),
    ("186", "two musicians in black suits and sunglasses on a mission from god reunite their band to save an orphanage"),
    ("475", "heroin addicts in edinburgh"),
    ("132", "farm girl swept by a tornado to a magical land follows the yellow brick road"),
    ("483", "nightclub owner in wartime morocco helps his former lover escape"),
    ("144", "new york cop fights terrorists in a los angeles skyscraper on christmas eve"),
    ("185", "woman stabbed in the shower at a motel run by a man and his mother"),
    ("11", "two detectives hunt a killer whose murders follow the deadly sins"),
    ("496", "angel shows a despairing man what his town would be like had he never been born"),
    ("568", "bus rigged to explode if it drops below fifty miles per hour"),
    ("655", "four boys walk along railroad tracks to find a dead body"),
    ("265", "soviet submarine captain tries to defect to the united states"),
    ("143", "governess sings with the children of an austrian naval captain as the nazis arrive"),
    ("161", "cocky navy fighter pilot at an elite flying school"),
    ("8", "pig raised by sheepdogs learns to herd sheep"),
    ("427", "southern lawyer defends a black man accused of rape, seen through his young daughter's eyes"),
    ("603", "photographer with a broken leg spies on his neighbours and suspects a murder"),
    ("200", "writer goes mad as the winter caretaker of an isolated haunted hotel"),
    ("588", "bookish young woman held captive in an enchanted castle falls for a cursed prince"),
    ("272", "janitor at mit is a math genius and sees a therapist"),
    ("134", "newspaper tycoon's dying word is rosebud"),
    ("393", "divorced father disguises himself as an elderly british nanny to see his children"),
    ("419", "magical nanny with an umbrella flies in to look after two london children"),
    ("99", "princess poisoned by her stepmother's apple lives with little miners in the forest"),
    ("451", "greaser and a good girl fall in love in a 1950s high school musical"),
    ("402", "murdered man's spirit uses a psychic to protect his girlfriend"),
    ("739", "rich businessman hires a hollywood prostitute for a week and falls in love"),
    ("91", "pumpkin king of halloween town kidnaps santa claus"),
    ("411", "obese scientist invents a formula that makes him thin"),
    ("180", "army captain sent up a river in vietnam to kill a renegade colonel"),
    ("188", "marine recruits broken by a brutal drill instructor before the battle of hue"),
    ("2", "british secret agent 007 stops a former colleague from using a satellite weapon"),
    ("249", "swinging sixties spy frozen and thawed out in the nineties to fight dr evil"),
    ("72", "bank clerk finds a wooden mask that turns him into a green-faced cartoon trickster"),
]

def split(rows):
    order = list(range(len(rows)))
    random.Random(16).shuffle(order)
    validation = set(order[: math.ceil(len(rows) / 2)])
    return [("validation" if j in validation else "test", *r) for j, r in enumerate(rows)]

rows = split([("genre", f"genre:{g}", g) for g in GENRES])
rows += split([("genre-phrase", "genre:" + "+".join(gs), q) for q, gs in PHRASES])
rows += split([("decade", f"years:{y}-{y + 9}" + (";genre:" + "+".join(gs) if gs else ""), q) for q, y, gs in DECADES])
rows += split([("paraphrase", f"item:{i}", q) for i, q in PARAPHRASES])

out = sys.argv[1] if len(sys.argv) > 1 else "bench/search/ml100k-queries.tsv"
with open(out, "w") as f:
    f.write("# Labelled search queries over ml-100k, written by bench/search/make-queries.py (see its docstring: classes, relevance, split).\n")
    f.write("# split: validation / test, fixed: within each class random.Random(16).shuffle, first half validation. Choose settings on validation only.\n")
    f.write("# relevant: genre:A+B = movies with all of A, B (u.item genre flags); years:Y1-Y2 = release year in [Y1, Y2]; item:ID = that movie.\n")
    f.write("split\tclass\trelevant\tquery\n")
    for s, c, rel, q in rows:
        f.write(f"{s}\t{c}\t{rel}\t{q}\n")
print(f"{len(rows)} queries -> {out}")
