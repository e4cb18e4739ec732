"""Facts read from a lead's free-text message, in English and French, each with the words it came from.

Used only where the structured form fields are missing. The text is lower-cased and its accents
removed character for character (same length), so a match's position is also its position in the
original message and a reason can quote the person's own words.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from crm.classify.ages import add_months
from crm.countries import demonym_index, name_index
from crm.intake.provinces import lookup_province


@dataclass(frozen=True)
class Signal:
    kind: str
    value: Any
    quote: str  # the words of the message it came from
    # A value worked out rather than stated: a permit expiry day from "expires in 2 months" or "next March",
    # counted from the day the message was received.
    estimated: bool = False


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {0x2019: "'", 0x2018: "'", 0x02BC: "'", 0x00A0: " ", 0x2011: "-", 0x2013: "-"}
    for code in range(0x00C0, 0x0250):
        base = unicodedata.normalize("NFKD", chr(code))[:1]
        if base.isascii() and base.isalpha():
            table[code] = base
    return table


_TABLE = _build_table()


def normalise(text: str) -> str:
    """Lower case without accents, one character for one character (positions are kept)."""
    result = text.translate(_TABLE).lower()
    return result if len(result) == len(text) else text.lower()


_FLAGS = re.IGNORECASE
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "deux": 2, "trois": 3,
                 "quatre": 4, "cinq": 5, "dix": 10, "a": 1, "an": 1, "one": 1, "un": 1, "une": 1}
_FR_STAFF = (r"(?:travailleurs?|employes?|personnel|ingenieurs?|developpeurs?|cuisiniers?|infirmieres?|infirmiers?|"
             r"chauffeurs?|soudeurs?|techniciens?|mecaniciens?|candidats?)")
_OBJECT = (r"(?:\d+|two|three|four|five|six|ten|several|some|a|an|foreign|international|deux|trois|quatre|cinq|"
           r"des|un|une)")

# Colleges and universities that international graduates name without saying "in Canada" (the largest
# hosts of study-permit holders); a graduate of one is a post-graduation work permit candidate.
_CANADIAN_SCHOOLS = (
    r"seneca|humber|centennial college|george brown|conestoga|sheridan college|fanshawe|algonquin college|"
    r"niagara college|lambton college|cambrian college|canadore|mohawk college|georgian college|loyalist college|"
    r"durham college|douglas college|langara|bow valley college|sait|nait|red river college|ubc|sfu|"
    r"simon fraser|mcgill|concordia|uqam|universite laval|universite de montreal|udem|university of toronto|"
    r"u of t|uoft|york university|ryerson|toronto metropolitan|tmu|mcmaster|university of waterloo|"
    r"queen's university|western university|dalhousie|carleton|uottawa|university of ottawa|"
    r"university of (?:alberta|calgary|manitoba|saskatchewan|victoria|british columbia|guelph|windsor|regina)|"
    r"memorial university|unb|cegep"
)
# Up to 60 characters within one clause: no sentence end, comma or joining word in between.
_SAME_CLAUSE = (r"(?:(?!\b(?:and|but|want|wants|wanted|then|before|after|moving|moved|worked|working|et|mais|puis|"
                r"avant|apres)\b)[^.!?,;]){0,60}?")
_SCHOOL_WORD = (r"(?:college|colleges|university|universities|program|programme|institution|school|diploma|degree|"
                r"masters?|dli)")
_CITIES = {"toronto": "ON", "ottawa": "ON", "mississauga": "ON", "hamilton": "ON", "waterloo": "ON",
           "kitchener": "ON", "vancouver": "BC", "surrey": "BC", "calgary": "AB", "edmonton": "AB",
           "winnipeg": "MB", "regina": "SK", "saskatoon": "SK", "halifax": "NS", "moncton": "NB",
           "fredericton": "NB", "montreal": "QC", "gatineau": "QC", "laval": "QC", "sherbrooke": "QC",
           "charlottetown": "PE", "whitehorse": "YT", "yellowknife": "NT", "iqaluit": "NU"}
_CITY_NAMES = "|".join(_CITIES)
CITY_NAMES = _CITY_NAMES  # the Canadian cities the readers know, as a regular-expression alternation
# Places in Canada, for "a permanent resident of Canada / in Toronto / au Québec".
_CANADA_PLACE = (r"(?:canada|quebec|ontario|alberta|manitoba|saskatchewan|nova scotia|nouvelle-ecosse|new brunswick|"
                 r"nouveau-brunswick|british columbia|colombie-britannique|prince edward island|"
                 r"ile-du-prince-edouard|newfoundland(?: and labrador)?|terre-neuve|yukon|nunavut|"
                 r"northwest territories|greater toronto area|gta|brampton|markham|vaughan|richmond hill|oakville|"
                 r"burlington|oshawa|barrie|kingston|guelph|windsor|sudbury|thunder bay|niagara falls|scarborough|"
                 r"etobicoke|north york|burnaby|coquitlam|kelowna|abbotsford|nanaimo|kamloops|red deer|lethbridge|"
                 r"longueuil|levis|trois-rivieres|saguenay|"
                 # the province abbreviations that are no everyday word ("ont", "nb", "mb" are)
                 r"bc|b\.c|c\.-b|qc|pei|p\.e\.i|i\.-p\.-e|nwt|alta|sask|" + _CITY_NAMES + ")")
# A girlfriend or boyfriend is a common-law partner, so a spouse for these routes, once the couple has lived together
# for 12 months: read as a spouse, and the stream asks how long (DATING_PARTNER, crm/classify/streams.py).
_EN_DATING = r"girlfriend|boyfriend|girl friend|boy friend"
_FR_DATING = r"copine|copain|petite amie|petit ami|petite-amie|petit-ami|blonde|chum"
_EN_SPOUSE = r"(?:husband|wife|spouse|partner|common-law partner|common law partner|fiance|fiancee|" + _EN_DATING + ")"
# (not "mon copain de classe", "ma copine d'enfance": a friend)
_FR_SPOUSE = (r"(?:mari|femme|epouse|epoux|conjoint|conjointe|conjoint de fait|conjointe de fait|" + _FR_DATING
              + r")(?! (?:de classe|d'ecole|de fac|de lycee|d'enfance|de promo|de chambre|d'affaires))")
# A word before the spouse ("my Brazilian wife", "my common-law partner"), but not the partner's other roles ("my
# business partner", "my research partner", "my boyfriend's"...)
_NON_SPOUSE_ROLES = ("business", "work", "working", "research", "project", "trading", "sparring", "dance", "dancing",
                     "tennis", "squash", "golf", "climbing", "training", "gym", "study", "lab", "startup",
                     "joint venture", "venture", "managing", "senior", "junior", "equity", "silent", "founding",
                     "co-founding", "law firm", "firm", "exchange")
_EN_SPOUSE_MODIFIER = r"(?:(?!(?:" + "|".join(_NON_SPOUSE_ROLES) + r")\b)[a-z-]+ )?"
# A "partner" with one of those roles just before it is not a spouse either (fixed-width look-behinds, one per role).
_SPOUSE_PARTNER = "".join(f"(?<!{role} )" for role in _NON_SPOUSE_ROLES) + "partner"
DATING_PARTNER = re.compile(r"\b(?:" + _EN_DATING + "|" + _FR_DATING + r")\b", re.IGNORECASE)
_FR_CANADIAN = r"(?:canadien(?:ne)?|citoyen(?:ne)? canadien(?:ne)?|residente? permanente?)\b"
_MY_SPOUSE = r"(?:my|our) " + _EN_SPOUSE_MODIFIER + _EN_SPOUSE
_SPOUSE_NAMED = re.compile(r"\b" + _MY_SPOUSE + r"\b|\b(?:mon|ma|notre) " + _FR_SPOUSE + r"\b")
_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|november|december|janvier|fevrier|"
           r"mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre")
_WORKPLACE = "(?:office|branch|subsidiary|headquarters|site|team)"
# An employer's own entity in Canada ("a subsidiary in Montreal", "our Canadian branch", "our parent company in
# Toronto", "une filiale à Montréal") and its staff moved there ("send two engineers", "transfer our project manager",
# "y envoyer deux ingénieurs"): the employer moves its own people, an intra-company transfer (staff_transfer).
_EN_ENTITY = (r"(?:subsidiary|branch|office|affiliate|affiliated company|parent company|sister company|entity|division|"
              r"headquarters)")
_CANADIAN_ENTITY = (r"(?:" + _EN_ENTITY + r" (?:in|at|based in|located in) " + _CANADA_PLACE + r"|(?:canadian|"
                    + _CANADA_PLACE + r") " + _EN_ENTITY + r"|(?:filiale|succursale|bureau|societe mere|maison mere|"
                    r"entite|antenne|siege social)(?: (?:a|au|en|de|du|basee? a) " + _CANADA_PLACE
                    + r"| canadienne?))")
_STAFF_MOVED = (r"(?:send|sending|move|moving|transfer|transferring|relocate|relocating|second|seconding|assign|"
                r"bring over|bring) (?:(?:a|an|one|two|three|four|five|six|ten|\d+|some|several|few|couple|of|our|"
                r"the|key|senior|junior|[a-z-]+) ){0,4}?(?:engineers?|employees?|staff|managers?|developers?|"
                r"specialists?|technicians?|executives?|people|workers|team members?|colleagues?|consultants?|"
                r"experts?|directors?|analysts?)\b"
                r"|(?:envoyer|y envoyer|muter|detacher|transferer|faire venir|deplacer|affecter) (?:[a-z'-]+ ){0,4}?"
                r"(?:" + _FR_STAFF[3:-1] + r"|salaries?|collaborateurs?|cadres?|specialistes?|membres)\b")
_PGWP = (r"(?:pgwp|ptpd|post-?grad(?:uation|uate)? (?:open )?work permit|permis de travail post-?diplome)"
         r"(?![-'\w])")
# What makes "my PGWP" a file, a question or a refusal rather than a permit held.
_NOT_HELD = (r"(?! (?:application|applications|applicant|app\b|eligibility|question|questions|is pending|"
             r"was refused|was rejected|was denied|got refused|got rejected|is being processed|is in process|"
             r"is in progress|demande|a ete refuse|est en attente|est en cours))")
# Right before "my PGWP" / "mon PTPD": the permit is still to be applied for, obtained or received ("apply for my
# PGWP", "waiting for my PGWP", "obtenir mon PTPD"), so it is not one held.
_PGWP_TO_COME = re.compile(r"\b(?:apply|applying|applied|get|getting|obtain|obtaining|receive|receiving|wait|waiting|"
                           r"await|awaiting|request|requesting|submit|submitting|submitted|file|filing|filed|demander|"
                           r"obtenir|recevoir|attends|attendre|attente|deposer|depose|soumettre)"
                           r"(?: for| de| pour)?\s*$")
PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "age": [re.compile(p) for p in (
        r"\b(?:i am|i'm|im|i m)\s+(\d{2})\b(?!\s*(?:%|k\b|months?|kids|children|employees|staff|people|percent))",
        r"\b(\d{2})[\s-]*(?:years?[\s-]old|yrs?[\s-]old|y/o|yo)\b",
        r"\baged?\s*:?\s*(\d{2})\b",
        r"\bj'ai\s+(\d{2})\s*ans\b",
        r"\bagee?\s+de\s+(\d{2})\s*ans\b",
        # "je suis française, 29 ans": an age standing as its own clause, never a duration
        # ("12 ans d'expérience", "depuis 10 ans" have no comma or "et" right before them).
        r"(?:^|[,;:(]\s*|\bet\s+)(\d{2})\s*ans\b(?!\s*(?:d'|de\b|d\s|en\b|dans\b|chez\b|au\b|a\b))",
        r"\bje suis (?:un|une)\s+[a-z-]+(?:\s+[a-z-]+)?\s+de\s+(\d{2})\s*ans\b(?!\s*(?:d'|de\b|d\s))",
        # "I am German and 35," / "I'm Irish, 27.": a number closing a clause about the person, not a
        # count of years of something ("I am a nurse and 10 years of experience" is followed by words).
        r"\b(?:i am|i'm|im|i m)\b[^.!?]{0,30}?(?:,|\band)\s*(\d{2})\s*(?=[,.;!?)]|$|\s+and\b|\s+(?:years?|yrs?) old\b)",
        # The next birthday ("turning 36 next week", "I'll be 31 in May", "j'aurai 36 ans en mars"): a year younger
        # today (the group's name starts with `next`), read only when no age itself is said.
        r"\b(?:(?:i am|i'm|im|i m)\b[^.!?]{0,40}?\bturning|i turn|i will be|i'll be|ill be|i will turn|i'll turn)"
        r"\s+(?P<next>\d{2})\b"
        r"(?=\s*(?:next|this|in|on|soon|tomorrow|shortly|years? old|$|[,.;!?]))",
        r"\b(?:j'aurai|je vais avoir|je vais bientot avoir|je vais feter mes)\s+(?P<next_fr>\d{2})\s*ans\b",
    )],
    "hire": [re.compile(p) for p in (
        r"\b(?:we|our (?:company|team|firm|business|restaurant|startup|clinic|farm|hotel))\b[^.!?]{0,60}?"
        r"\b(?:hire|hiring|recruit|recruiting|sponsor|sponsoring)\b",
        rf"\b(?:i|my company)\b[^.!?]{{0,30}}?\b(?:hire|recruit)\s+{_OBJECT}\b",
        # "we run a farm and need seasonal workers": an employer short of staff, not only an owner.
        r"\b(?:we|our (?:company|team|firm|business|restaurant|startup|clinic|farm|hotel))\b[^.!?]{0,60}?"
        r"\b(?:need|needs|are looking for|looking for|are seeking|seeking|want to bring)\b[^.!?]{0,30}?"
        r"\b(?:workers|employees|staff|engineers|developers|programmers|cooks|chefs|nurses|drivers|welders|"
        r"caregivers|labourers|laborers|technicians|mechanics|electricians|candidates|people)\b",
        r"\b(?:nous|notre (?:entreprise|societe|equipe|restaurant|ferme|clinique))\b[^.!?]{0,60}?"
        r"\b(?:avons besoin d[e']|cherchons|recherchons|a besoin d[e']|cherche|recherche|recrute|embauche)\s*"
        r"[^.!?]{0,30}?"
        + _FR_STAFF + r"\b",
        r"\b(?:nous|notre (?:entreprise|societe|equipe|restaurant|ferme|clinique))\b[^.!?]{0,60}?"
        r"\b(?:embaucher|recruter|recrutons|embauchons|engager)\b",
        r"\bje (?:veux|souhaite|voudrais|cherche a) (?:embaucher|recruter)\b",
        # "je cherche des soudeurs pour ma ferme": an owner short of staff (not "je cherche un emploi")
        r"\bje (?:cherche|recherche) (?:des|un|une|deux|trois|quatre|cinq|\d+) " + _FR_STAFF + r"\b",
    )],
    "owns_business": [re.compile(p) for p in (
        # also after the lead's own "I'm British and run", "I am 34 and own", "we are a family and operate"
        r"\b(?:i|we)(?:(?: am|'m| are|'re)\b[^.!?;]{0,40}?\band)? (?:own|run|operate|have|started|founded|co-?founded|"
        r"manage|set up|built) (?:a |an |my |our |the )?"
        r"(?:[a-z-]+ ){0,2}?(?:business|company|restaurant|cafe|bakery|shop|store|startup|start-up|firm|agency|"
        r"consultancy|franchise|hotel|factory|farm|clinic|studio|salon|brewery|winery|workshop)\b"
        # the noun naming something else ("I have a company car", "a business visa", "a business degree")
        r"(?! (?:cars?|vehicle|phones?|cell|mobile|laptop|e-?mail|address|account|card|visas?|trips?|travel|degree|"
        r"diploma|bachelor'?s?|masters?|class|english|courses?|studies|school|administration|management|analyst|"
        r"plan|policy|pension|insurance|meetings?|events?|name|number|apartment|housing|uniform)\b)",
        r"\b(?:start|open|buy|launch|set up|establish|starting|opening|buying|launching)\s+(?:a |an |my |our )?"
        r"(?:[a-z-]+ )?(?:business|company|restaurant|franchise|startup|cafe|shop|bakery)\b",
        r"\b(?:business owner|self-employed|owner-operator|entrepreneur)\b",
        r"\b(?:je suis|nous sommes) (?:proprietaire|entrepreneur|entrepreneure|chef d'entreprise)\b",
        r"\b(?:j'ai|nous avons|je possede|nous possedons|je dirige|je gere|nous dirigeons|(?:j'ai|nous avons) "
        r"(?:co-?)?fonde|(?:j'ai|nous avons) cree|(?:j'ai|nous avons) lance|je suis a la tete d'|"
        # "je suis britannique et dirige une agence": the lead's own verb after "et"
        r"je suis\b[^.!?;]{0,40}?\bet (?:je )?(?:dirige|possede|gere|ai (?:co-?)?fonde|ai cree)) "
        r"?(?:un|une|mon|ma|notre) ?"
        r"(?:[a-z-]+ )?(?:entreprise|societe|restaurant|boulangerie|commerce|boutique|start-?up|agence|hotel|ferme|"
        r"cabinet|studio|atelier|salon)\b",
        r"\b(?:ouvrir|creer|racheter|acheter|lancer|monter|reprendre) (?:un|une|mon|ma|notre) ?(?:[a-z-]+ )?"
        r"(?:entreprise|societe|restaurant|commerce|boutique|start-?up|boulangerie)\b",
    )],
    "spouse_worker": [re.compile(p) for p in (
        r"\b(?:husband|wife|spouse|" + _SPOUSE_PARTNER + r"|fiance|fiancee|" + _EN_DATING + r")\b(?: [a-z']+){0,3}? "
        r"(?:works|is working|"
        r"has a work permit|got a job|is employed|has a job)\b",
        r"\b(?:mari|femme|epouse|epoux|conjoint|conjointe|" + _FR_DATING + r")\b(?! (?:de classe|d'ecole|de fac|"
        r"de lycee|d'enfance|de promo|de chambre|d'affaires))(?: [a-z']+){0,3}? (?:travaille|a un permis de travail|"
        r"a un emploi)\b",
    )],
    "spouse_student": [re.compile(p) for p in (
        r"\b(?:husband|wife|spouse|" + _SPOUSE_PARTNER + r"|" + _EN_DATING + r")\b(?: [a-z']+){0,3}? "
        r"(?:studies|is studying|"
        r"is a student|is doing (?:a|his|her) (?:master|masters|phd|doctorate))\b",
        r"\b(?:mari|femme|epouse|epoux|conjoint|conjointe|" + _FR_DATING + r")\b(?! (?:de classe|d'ecole|de fac|"
        r"de lycee|d'enfance|de promo|de chambre|d'affaires))(?: [a-z']+){0,3}? (?:etudie|est etudiante?|fait "
        r"(?:un|une|sa|son) (?:master|maitrise|doctorat))\b",
    )],
    # Studies in Canada finished or about to be ("I graduated from Seneca", "finishing my diploma in Toronto"):
    # the place must follow in the same clause ("I studied in India and want to work in Canada" is not it).
    "studied_in_canada": [re.compile(p) for p in (
        r"\b(?:graduated|graduating|studied|(?:completed|finished|finishing|completing) (?:my |a |an |the )?"
        r"(?:[a-z']+ )?(?:degree|diploma|program|programme|masters?|master's|bachelor'?s?|phd|studies|course))\b"
        + _SAME_CLAUSE
        + r"\b(?:in canada|canadian " + _SCHOOL_WORD + r"|ontario|quebec|toronto|montreal|vancouver|ottawa|calgary|"
        r"halifax|" + _CANADIAN_SCHOOLS + r")\b",
        # "a graduate of Humber College", "a Seneca graduate": a named school only (a school abroad then
        # "...work in Canada" must not read as studies in Canada).
        r"\b(?:graduate|alumn(?:us|a|i))s? (?:of|from) (?:the )?(?:" + _CANADIAN_SCHOOLS + r")\b",
        r"\b(?:" + _CANADIAN_SCHOOLS + r")(?: college| university)? (?:graduate|grad|alumn(?:us|a|i))s?\b",
        r"\b(?:diplome|diplomee|j'ai etudie|termine mes etudes|fini mes etudes|(?:termine|terminerai|fini|finis|"
        r"complete|obtenu) (?:mon|ma|mes|un|une) (?:[a-z']+ )?(?:diplome|maitrise|master|"
        r"baccalaureat|bac|doctorat|dec|aec|programme|formation|licence|etudes))\b" + _SAME_CLAUSE
        + r"\b(?:au canada|canadien|canadienne|quebec|montreal|ontario|" + _CANADIAN_SCHOOLS + r")\b",
    )],
    # The lead studies in Canada now, far from graduating or not saying when ("I'm studying in Toronto, first
    # year"): the post-graduation permit is for later, so it is asked about, not offered as likely.
    "studying_in_canada": [re.compile(p) for p in (
        r"\b(?:i am|i'm|im|i m|currently) (?:currently |now )?(?:studying|enrolled|a student|an international "
        r"student)\b" + _SAME_CLAUSE + r"\b(?:in canada|canadian " + _SCHOOL_WORD + r"|ontario|quebec|toronto|"
        r"montreal|vancouver|ottawa|calgary|halifax|" + _CANADIAN_SCHOOLS + r")\b",
        r"\bi (?:currently )?study\b" + _SAME_CLAUSE + r"\b(?:in canada|canadian " + _SCHOOL_WORD + r"|"
        + _CANADIAN_SCHOOLS + r")\b",
        r"\b(?:j'etudie|je suis (?:actuellement )?(?:etudiante?|inscrite?))\b" + _SAME_CLAUSE
        + r"\b(?:au canada|canadien|canadienne|quebec|montreal|ontario|" + _CANADIAN_SCHOOLS + r")\b",
    )],
    # The lead's own doubt about the program ("not PGWP-eligible", "a private non-subsidized college"): the
    # post-graduation permit is then a question for the consultant, not likely.
    "pgwp_doubt": [re.compile(p) for p in (
        r"\bnot (?:pgwp[- ]eligible|eligible (?:for|to get) (?:a |the )?(?:pgwp|post-?graduation work permit))\b",
        r"\b(?:isn't|is not|wasn't|was not|not) (?:a )?(?:dli|designated learning institution)\b",
        r"\b(?:non-subsidi[sz]ed|unsubsidi[sz]ed) (?:private )?college\b",
        r"\bprivate (?:career|vocational|non-subsidi[sz]ed|unsubsidi[sz]ed) college\b",
        r"\b(?:pas|non) (?:admissible|eligible) (?:au|a un) (?:ptpd|permis de travail postdiplome)\b",
        r"\b(?:college|ecole) privee? non subventionnee?\b",
    )],
    # The post-graduation work permit named, with nothing said of studies in Canada ("Can I get a PGWP?").
    "pgwp_mentioned": [re.compile(p) for p in (
        r"\bpgwp\b|\bpost-?graduation work permit\b|\bpermis de travail postdiplome\b|\bptpd\b",
    )],
    # A spouse or children coming along with the lead ("with my wife and our son", "we have two kids", "avec mon
    # mari et nos enfants"): IEC takes no accompanying dependants, so the lead is asked.
    "family_along": [re.compile(p) for p in (
        r"\b(?:come|coming|move|moving|go|going|travel|travelling|traveling|relocate|relocating|live|living|stay|"
        r"staying|holiday|emigrate|immigrate|canada)\b[^.!?]{0,30}?\bwith (?:my|our) (?:[a-z0-9-]+ ){0,2}?(?:husband|"
        r"wife|spouse|partner|fiance|fiancee|boyfriend|girlfriend|son|daughter|child|children|kids?|baby|family)\b",
        r"\b(?:bring|bringing|take|taking) (?:my|our) (?:[a-z0-9-]+ ){0,2}?(?:husband|wife|spouse|partner|fiance|"
        r"fiancee|boyfriend|girlfriend|son|daughter|child|children|kids?|baby|family)\b",
        r"\b(?:my|our) (?:husband|wife|spouse|partner|fiance|fiancee|boyfriend|girlfriend|kids|children|family) "
        r"(?:and (?:i|me)|(?:would|will|wants? to|want to) (?:come|join|accompany|move))\b",
        r"\b(?:we|i) have (?:a|an|one|two|three|four|\d) (?:(?:[a-z0-9-]+ ){0,3})?(?:son|daughter|child|children|"
        r"kids?|baby)\b",
        r"\bmarried with (?:a |an |one |two |three |four |\d )?(?:(?:[a-z0-9-]+ ){0,2})?(?:kids?|children|child|sons?|"
        r"daughters?|baby)\b",
        r"\b(?:avec|emmener|amener) (?:mon|ma|mes|notre|nos) (?:[a-z0-9-]+ ){0,2}?(?:mari|femme|epouse|epoux|"
        r"conjoint|conjointe|copain|copine|fils|fille|filles|enfant|enfants|bebe|famille)\b",
        r"\b(?:j'ai|nous avons) (?:un|une|deux|trois|quatre|\d) (?:(?:[a-z0-9-]+ ){0,3})?(?:fils|fille|filles|"
        r"enfant|enfants|bebe)\b",
    )],
    # The lead asks about their own spouse or partner coming to, staying in or working in Canada ("I want to bring my
    # wife", "my husband would like to work here too", "can she work?", "faire venir mon mari", "ma femme voudrait
    # travailler"): for a lead who needs no permit (a Canadian citizen or permanent resident), the spouse's route is
    # what the inquiry is about. A pronoun ("can she work?") counts only beside the spouse (see read_message).
    "spouse_coming": [re.compile(p) for p in (
        r"\b(?:bring|bringing|sponsor|sponsoring|invite|inviting|get|getting) (?:over )?" + _MY_SPOUSE + r"\b",
        r"\b" + _MY_SPOUSE + r"\b[^.!?]{0,60}?\b(?:wants?|would like|would love|hopes?|plans?|"
        r"is planning|is hoping|needs?|wishes|is looking|intends?) to (?:also )?(?:work|come|join|move|live|"
        r"immigrate|stay|get (?:a |an )?(?:open )?(?:work )?permit|apply for (?:a |an )?(?:open )?(?:work )?permit)\b",
        r"\b" + _MY_SPOUSE + r"\b[^.!?]{0,40}?\bneeds? (?:a |an )?(?:open )?(?:work )?permit\b",
        r"\b(?:can|could|may|is|will) (?:" + _MY_SPOUSE + r"|she|he)(?: be allowed to| also| legally)? "
        r"(?:work|come|join|live|stay)\b",
        r"\b(?:faire venir|parrainer|amener|emmener|inviter) (?:mon|ma|notre) " + _FR_SPOUSE + r"\b",
        r"\b(?:mon|ma|notre) " + _FR_SPOUSE + r"\b[^.!?]{0,60}?\b(?:veut|voudrait|souhaite|souhaiterait|aimerait|"
        r"espere|compte|doit|pourrait|peut|a besoin d'un permis pour)(?:-(?:il|elle))? (?:aussi |egalement )?"
        r"(?:venir|travailler|me rejoindre|nous rejoindre|rejoindre|immigrer|s'installer|vivre|rester)\b",
        r"\b(?:peut|pourrait|pourra)-(?:il|elle) (?:aussi |egalement )?(?:travailler|venir|rester|me rejoindre)\b",
    )],
    # The lead's spouse or partner is Canadian or a permanent resident ("my wife is a Canadian citizen", "I'm married
    # to a Canadian", "mon mari est résident permanent"): the lead may be sponsored, with an open work permit.
    "spouse_canadian": [re.compile(p) for p in (
        r"\b" + _MY_SPOUSE + r" is (?:also |now |already )?(?:a )?(?:canadian(?: citizen)?|"
        r"citizen of canada|(?:canadian )?permanent resident(?: of canada)?|pr|pr holder|pr card holder)\b"
        r"(?! (?:company|employer|firm|job|work|application|status pending))",
        # "I'm married to", "I'm 30 and married to", "I am Colombian, 29 and married to"
        # (not "I'm not / never / getting / going to be married to": no spouse yet)
        r"\b(?:i am|i'm|im|i m) (?:(?!(?:not|never|no|getting|going|be|to|about|soon)\b)[a-z0-9]+,? ){0,3}?"
        r"(?:and )?married to (?:a )?(?:canadian(?: citizen)?|(?:canadian )?permanent resident)\b",
        r"\b(?:mon|ma) " + _FR_SPOUSE + r" est (?:aussi |deja )?" + _FR_CANADIAN,
        r"\bje suis mariee? (?:a|avec) (?:un|une) " + _FR_CANADIAN,
    )],
    "pr_pending": [re.compile(p) for p in (
        r"\b(?:applied for|waiting for|submitted|waiting on)\b[^.!?]{0,30}?\b(?:pr|permanent residen\w*|"
        r"express entry|cec)\b",
        r"\b(?:pr|permanent residence) (?:application )?(?:is )?(?:pending|in process|in progress)\b",
        r"\bbowp\b|\bbridging (?:open )?work permit\b",
        r"\bdemande de (?:residence permanente|rp)\b|\bpermis de travail ouvert transitoire\b",
    )],
    "job_offer": [re.compile(p) for p in (
        r"\b(?:job offer|offer of employment|offered (?:me )?a (?:job|position|role)|been offered|"
        r"(?:got|have|received) (?:a |an )?(?:[a-z]+ ){0,2}?offer)\b",
        # The apostrophe is often left out or typed as a space: "offre d emploi", "offre demploi".
        r"\b(?:offre d(?:'|\s)?emploi|offre de travail|promesse d(?:'|\s)?embauche|"
        r"on m'a offert un (?:poste|emploi))\b",
    )],
    "french_speaker": [re.compile(p) for p in (
        r"\b(?:i speak|speak|fluent in|native) (?:fluent |native )?french\b",
        r"\bfrench (?:speaker|native|mother tongue)\b|\bfrancophone\b",
        r"\bje parle (?:le )?francais\b|\blangue maternelle\b[^.!?]{0,20}francais\b",
        r"\bfrench is my (?:first|native|mother) (?:language|tongue)\b",
    )],
    "transfer": [re.compile(p) for p in (
        r"\b(?:transfer|transferred|relocate|relocating|relocation|move|moving)\b[^.!?]{0,50}?\b(?:canadian "
        r"(?:office|branch|subsidiary|entity)|(?:office|branch|subsidiary) in canada)\b",
        # "transfer me to our Toronto office", "relocate to the branch in Canada"
        r"\b(?:transfer|transferred|transferring|relocate|relocating|move|moving)\b[^.!?]{0,50}?\b(?:to|in) "
        r"(?:our|the|their|its|a) (?:(?:[a-z]+ )?" + _WORKPLACE + r" in (?:canada|" + _CITY_NAMES + r")|(?:canadian|"
        + _CITY_NAMES + r") " + _WORKPLACE + r")\b",
        r"\bintra-?company\b",
        r"\b(?:mutation|muter|mute|mutee)\b[^.!?]{0,50}?\b(?:canada|(?:filiale|bureau|succursale)(?: canadienne?| "
        r"(?:de|a|d'|au|du) ?(?:canada|" + _CITY_NAMES + r"))?)\b",
    )],
    # An organisation ("we", "our", "nous", "notre") with a Canadian entity moving its own staff there, in one
    # sentence, either order: "We're a UK company with a subsidiary in Montreal and want to send two engineers there".
    "staff_transfer": [re.compile(p) for p in (
        r"\b(?:we|we're|our|nous|notre)\b[^.!?]{0,80}?\b" + _CANADIAN_ENTITY + r"\b[^.!?]{0,80}?\b" + _STAFF_MOVED,
        r"\b(?:we|we're|our|nous|notre)\b[^.!?]{0,40}?\b(?:" + _STAFF_MOVED + r")[^.!?]{0,60}?\b" + _CANADIAN_ENTITY
        + r"\b",
    )],
    "student": [re.compile(p) for p in (
        r"\b(?:internship|intern|co-?op|work placement|stagiaire)\b",
        r"\b(?:i am a|i'm a|currently a|je suis) (?:[a-z]+ )?(?:student|etudiante?)\b",
        r"\bstage (?:obligatoire|de fin d'etudes|au canada)\b",
    )],
    # The lead's internship or placement is a required part of their post-secondary studies ("my degree requires a
    # 6-month internship", "a mandatory internship as part of my degree", "stage obligatoire", "un stage dans le cadre
    # de mon master"): IEC Co-op's own case, ranked before a working holiday (crm/classify/classifier.py).
    "degree_internship": [re.compile(p) for p in (
        r"\b(?:required|mandatory|compulsory|obligatory|credit-bearing|curricular) (?:[a-z0-9-]+ ){0,2}?"
        r"(?:internship|placement|work placement|co-?op|work term|practicum)\b",
        r"\b(?:internship|placement|co-?op|work term|practicum)\b[^.!?]{0,60}?\b(?:(?:as )?part of|required by|"
        r"required for|for|towards|counts? towards|within) (?:my|our|the) (?:[a-z-]+ ){0,2}?(?:degree|studies|program|"
        r"programme|course|diploma|bachelor'?s?|masters?|master's|curriculum)\b",
        r"\b(?:my|our) (?:[a-z-]+ ){0,2}?(?:degree|program|programme|course|diploma|university|school|college|masters?|"
        r"master's|bachelor'?s?) (?:requires|includes|requires me to do|has) (?:a |an )?(?:[a-z0-9-]+ ){0,2}?"
        r"(?:internship|placement|work placement|co-?op|work term|practicum)\b",
        r"\bstage (?:[a-z0-9-]+ ){0,2}?(?:obligatoire|de fin d'etudes|de fin de cycle|curriculaire|conventionne)\b",
        r"\bstage\b[^.!?]{0,60}?\b(?:dans le cadre de|pour|exige par|requis par|pour valider) (?:mon|ma|mes|notre) "
        r"(?:[a-z-]+ ){0,2}?(?:diplome|master|licence|formation|etudes|cursus|dut|but|bts|doctorat|ecole)\b",
        r"\b(?:mon|ma) (?:diplome|master|licence|formation|cursus|ecole|universite) (?:exige|impose|demande|requiert|"
        r"comprend|inclut) un stage\b",
    )],
    "iec": [re.compile(p) for p in (
        r"\b(?:working holiday|young professionals?|iec|pvt|jeunes professionnels|vacances-travail|"
        r"experience internationale canada)\b",
    )],
    "exchange": [re.compile(p) for p in (
        r"\b(?:exchange program|teacher exchange|academic exchange|visiting professor|professional athlete|"
        r"(?:hockey|soccer|football|basketball) (?:player|coach)|programme d'echange|echange universitaire)\b",
    )],
    "exceptional": [re.compile(p) for p in (
        r"\b(?:award-?winning|internationally (?:recognized|renowned|known|acclaimed)|renowned|acclaimed|"
        r"olympic|world champion|reconnue? internationalement|de renommee internationale|prix international)\b",
    )],
    # The lead holds or held a post-graduation work permit (issued once: not offered again). The lead's own only
    # ("I am on a PGWP", "my PGWP expires", "I had a PGWP", "j'ai un PTPD", "mon PTPD"); never a plan, a question
    # about one, an application or someone else's ("I want a PGWP", "my PGWP application", "my wife's PGWP").
    "pgwp_held": [re.compile(p) for p in (
        r"\b(?:i am|i'm|im|i m|i've been|ive been|i have been|i was) (?:currently |still |now |already )?on "
        r"(?:a |an |my |the )?" + _PGWP + _NOT_HELD,
        r"\bi (?:currently |already |still )?(?:have|hold|had|held|got|received|obtained|used) (?:a |an |my |the )?"
        + _PGWP + _NOT_HELD,
        r"\b(?:i've|ive|i have) (?:already |previously )?(?:had|held|got|gotten|received|obtained|used) "
        r"(?:a |an |my |the )?" + _PGWP + _NOT_HELD,
        r"\bmy (?:current |old |previous |first )?" + _PGWP + _NOT_HELD,
        r"\b(?:as an? |i am an? |i'm an? )" + _PGWP + r" holder\b",
        r"\bj'ai (?:actuellement |deja |eu |obtenu |recu |aussi ){0,2}(?:un |mon |le )?" + _PGWP + _NOT_HELD,
        r"\bmon (?:actuel )?" + _PGWP + _NOT_HELD,
        r"\bje suis (?:actuellement |encore |toujours |deja )?(?:sous|avec|titulaire d'un|detenteur d'un|"
        r"detentrice d'un) (?:un |mon |le )?" + _PGWP + _NOT_HELD,
    )],
    # The lead says they are Canadian (the country readers leave Canada out: "a Canadian job offer" is not a
    # citizenship). First person only: "my wife is a Canadian citizen" is about someone else.
    "canadian_citizen": [re.compile(p) for p in (
        r"\b(?:i am|i'm|im|i m) (?:also |a |also a )?canadian(?: citizen)?\b(?! (?:company|employer|business|firm|"
        r"recruiter|startup|organi[sz]ation|corporation|agency|permanent|resident|pr\b|student|graduate|job|work))",
        r"\bi (?:hold|have) (?:a |the )?canadian (?:citizenship|passport)\b|\bmy canadian (?:citizenship|passport)\b",
        r"\bi am a citizen of canada\b|\bi'm a citizen of canada\b",
        r"\bje suis (?:aussi )?(?:canadien|canadienne|citoyen canadien|citoyenne canadienne)\b(?! (?:d'origine|"
        r"residente?|resident))",
        r"\bj'ai (?:la )?(?:citoyennete|nationalite) canadienne\b|\bmon passeport canadien\b",
    )],
}
# -- Permanent residence of Canada ------------------------------------------------------------------------------
# Read only as the lead's own status, held now, in Canada. A lead read so is offered no work permit and told they
# need none, so precision comes before recall: in any doubt the message is left unread (a consultant still reads
# it). The phrase must have a first-person subject ("I am", "I have", "we are", "je suis", "j'ai", or "As a PR, ..."
# opening a clause), and what follows it must be the end of the clause or a word of a short list: "I have PR status
# pending", "a PR card applicant", "a PR and communications specialist", "PR in Australia" stop there.
_ADVERB = r"(?:(?:now|also|already|currently|officially|finally|just|recently|both|all) )?"
_EN_BE = (r"(?:(?:i am|i'm|im|i m|i've been|ive been|i have been) " + _ADVERB + r"|i " + _ADVERB + r"became |"
          r"(?:i've|ive|i have) " + _ADVERB + r"become )")
_EN_HAVE = (r"(?:i " + _ADVERB + r"(?:have|hold|got|received|obtained)|(?:i've|ive|i have) " + _ADVERB
            + r"(?:got|had|held|received|obtained)) ")
_EN_WE = (r"(?:we|(?:me and )?my (?:husband|wife|spouse|partner)(?: and i)?|(?:husband|wife|spouse|partner) and i)"
          r"(?: are|'re| have been|'ve been) " + _ADVERB)
_EN_ONE = r"(?:an? )?(?:canadian )?(?:permanent resident(?: card holder)?|pr card holder|pr holder|pr)"
_EN_HELD = (r"(?:(?:my|a|an|the) )?(?:canadian )?(?:permanent residen(?:ce|cy)(?: status)?|permanent resident "
            r"(?:status|card)|pr (?:status|card)|pr)")
_EN_MANY = r"(?:canadian )?(?:permanent residents|prs|pr holders|pr card holders)"
_FR_BE = (r"(?:je suis|nous sommes|(?:mon mari|ma femme|mon epoux|mon epouse|mon conjoint|ma conjointe) et moi "
          r"sommes) (?:(?:maintenant|deja|aussi|enfin|desormais|officiellement|devenue?s?|tous|toutes|deux|un|une) )"
          r"{0,3}")
_FR_ONE = (r"(?:(?:resident|residente|residents|residentes) permanente?s?|rp|titulaire (?:de la residence permanente"
           r"|d'une carte de (?:rp|resident permanent)|de (?:la|ma) carte de (?:rp|resident permanent)))")
_FR_HAVE = (r"(?:j'ai|je detiens|je possede) (?:(?:obtenu|recu|eu|deja|maintenant|aussi|enfin|finalement) ){0,2}"
            r"(?:la |ma |une )(?:residence permanente|rp|carte de (?:rp|resident permanent))")
# The start of the text, of a line or of a clause (after a punctuation mark and at most one space).
_CLAUSE_OPENING = r"(?:^|(?<=[,.;:!?(\n])|(?<=[,.;:!?(\n]\s))"
_AS = (r"(?:as an? (?:canadian )?(?:permanent resident(?: card holder)?|pr card holder|pr holder|pr)|"
       r"en tant que (?:(?:resident|residente) permanente?|rp))")
# What may follow a status held: the end of a clause or of the text, or one of these words.
_HELD_THEN = (r"(?:\s*(?:$|\n|[,.;:!?)(])|\s+[-–]\s|\s+(?:since|already|now|here|too|also|and|but|so|with|who|which|"
              r"living|residing|based|myself|for (?:\d+|two|three|four|five|six|seven|eight|nine|ten|a few|several|"
              r"many) (?:years?|months?)|(?:in|of|at) (?:the )?(?:" + _CANADA_PLACE + r"|\d{4}|" + _MONTHS + r")|"
              r"(?:last|this) (?:year|month|week|spring|summer|fall|autumn|winter)|"
              r"(?:\d+|two|three|four|five|six|a|one) (?:years?|months?) ago|depuis|deja|maintenant|ici|aussi|et|mais|"
              r"donc|car|avec|qui|canadienne?|(?:du|au|en|a|dans) (?:le |la |l')?(?:" + _CANADA_PLACE + r"|\d{4}|"
              + _MONTHS + r")|l'an (?:dernier|passe)|l'annee (?:derniere|passee)|il y a|cette annee)\b)")
# After "As a PR" a question may follow at once ("As a PR do I need a permit?").
_AS_THEN = (r"(?:" + _HELD_THEN + r"|\s+(?:do|does|can|could|may|might|should|would|will|am|is|are|what|how|where|"
            r"i|i'm|my|we|our|dois-je|puis-je|ai-je|est-ce|je|j'ai|mon|ma|mes|quels?|quelles?)\b)")
_CANADA_SAID = r"(?:\s+(?:of|in)\s+canada\b|\s+(?:du|au)\s+canada\b)?"
_PR_HELD = re.compile(
    r"\b(?:" + _EN_BE + _EN_ONE + "|" + _EN_HAVE + _EN_HELD + "|" + _EN_WE + _EN_MANY + "|" + _FR_BE + _FR_ONE
    + "|" + _FR_HAVE + r")\b" + _CANADA_SAID + r"(?=" + _HELD_THEN + r")"
    + "|" + _CLAUSE_OPENING + _AS + r"\b" + _CANADA_SAID + r"(?=" + _AS_THEN + r")")
# Canada named with the status ("of Canada", "Canadian PR", "here in Toronto", "la résidence permanente
# canadienne"): then other places in the sentence are where the lead lives or comes from, not where the status is.
_CANADA_NEXT = re.compile(r"\s+(?:(?:here|now|currently)\s+)?(?:(?:of|in|du|au|a|en|dans)\s+(?:the\s+|le\s+|la\s+|l')?"
                          + _CANADA_PLACE + r"|canadienne?)\b")
_CANADA_PLACE_RE = re.compile(r"\b" + _CANADA_PLACE + r"\b")
# Places abroad that are not countries, or that the country names leave out.
_REGIONS = re.compile(r"\b(?:(?:the|l') ?(?:eu|ue)|european union|union europeenne|europe|schengen|dubai|abu dhabi|"
                      r"sharjah|emirats|emirates|the gulf|middle east|moyen-orient|(?:in|to|from|of) the us|uk|"
                      r"the states)\b")
# A place named after a preposition, capitalised by the lead ("here in Dubai", "à Dubaï", "living in Sydney").
_PLACE_BEFORE = re.compile(r"\b(?:in|at|from|dans|en|au|aux|a)\s+(?:the\s+|le\s+|la\s+|les\s+|l')?(?=[a-z])")
_NOT_A_PLACE = frozenset(_MONTHS.split("|")) | {
    "i", "on", "ab", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "lundi", "mardi",
    "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "pr", "rp"}
# A sentence ends at . ! ? or ; (not at the dots of "U.S."); a line break does not end it, so a place on the next
# line ("I am a permanent resident\nin Germany") is still seen.
_SENTENCE_BREAK = re.compile(r"[!?;]|\.(?![a-z-])")
# "PR" is also public relations ("I'm a PR and communications specialist"): with one of these words in the
# sentence the abbreviation is not read.
_PUBLIC_RELATIONS = re.compile(
    r"\b(?:marketing|communications?|media|medias|relations|publicity|publicist|advertising|branding|brand|"
    r"campaigns?|journalism|journalist|events?|agency|agence|specialist|specialiste|consultant|consultante|"
    r"coordinator|background|officer|executive|manager|experience|career|carriere|industry|secteur|firm|"
    r"professional|skills|press|presse|strategist|attache|attachee|chargee?|evenementiel|publicite|responsable)\b")
# In the clause before a permanent-resident match: someone else's status ("my husband is a PR card holder"), a
# negation, or a wish, a plan or a condition ("if I am a permanent resident", "I hope I have PR by then").
_CLAUSE_BREAK = re.compile(r"[.!?;,:]|\b(?:and|but|et|mais)\b")
_NOT_THE_LEADS = re.compile(
    r"n't|\b(?:not|never|no|want|wants|wish|hope|hoping|would|will|could|should|plan|planning|goal|dream|aim|try|"
    r"trying|to|become|becoming|get|getting|apply|applying|applied|once|when|after|before|until|if|soon|eventually|"
    r"he|she|they|his|her|their|pas|ne|n|jamais|veux|voudrais|souhaite|souhaiterais|espere|obtenir|devenir|demander|"
    r"quand|lorsque|si|apres|avant|pour|il|elle|ils|elles|son|sa|ses|leur|"
    r"(?:my|mon|ma) (?:wife|husband|spouse|partner|fiance|fiancee|mother|father|mom|dad|parents?|brother|sister|son|"
    r"daughter|child|children|kids?|friend|boyfriend|girlfriend|mari|conjoint|conjointe|epoux|epouse|femme|fils|"
    r"fille|frere|soeur|pere|mere|ami|amie|copain|copine))\b")
# A question right after the words ("I'm a permanent resident? not sure", "I have PR now? How do I check").
_QUESTION_NEXT = re.compile(r"\s*(?:[^\s,.;:!?]+\s*){0,2}\?")
# Every permanent-resident phrase contains one of these words: most messages are not scanned further.
_PR_GATE = re.compile(r"\b(?:pr|rp|prs)\b|permanent")


def _permanent_resident(original: str, text: str) -> Signal | None:
    """The lead's own permanent residence of Canada, held now, with the words it was read from; None in any doubt,
    or (kind `permanent_resident_elsewhere`) the words of one said beside a place abroad with Canada unnamed.

    One pass over the text whatever its length: the clause and sentence of each candidate phrase are found by
    bisection in lists made once, and a sentence is judged once."""
    if not _PR_GATE.search(text):
        return None
    clause_ends = [m.end() for m in _CLAUSE_BREAK.finditer(text)]
    others = [m.start() for m in _NOT_THE_LEADS.finditer(text)]
    sentence_starts = [0] + [m.end() for m in _SENTENCE_BREAK.finditer(text)]
    judged: dict[tuple[int, bool], str] = {}  # why a sentence's phrase is not Canadian PR ("" when it is)
    abroad: Signal | None = None
    for match in _PR_HELD.finditer(text):
        start, end = match.span()
        words = match.group(0)
        # someone else's, denied, wished for or conditional: a word of _NOT_THE_LEADS earlier in its clause
        index = bisect_right(clause_ends, start) - 1
        clause_start = clause_ends[index] if index >= 0 else 0
        other = bisect_left(others, clause_start)
        if other < len(others) and others[other] < start:
            continue
        asked = words.startswith(("as ", "en tant que"))
        if not asked and _QUESTION_NEXT.match(text, end):
            continue
        index = bisect_right(sentence_starts, start) - 1
        sentence = (sentence_starts[index],
                    sentence_starts[index + 1] if index + 1 < len(sentence_starts) else len(text))
        abbreviated = "permanen" not in words and "residen" not in words
        canada = "canad" in words or _CANADA_NEXT.match(text, end) is not None
        key = (index, abbreviated and not canada)
        if key not in judged:
            judged[key] = ("public-relations" if abbreviated and _PUBLIC_RELATIONS.search(text, *sentence) else
                           "elsewhere" if not canada and _elsewhere(original, text, *sentence) else "")
        if judged[key] == "elsewhere" and abroad is None:
            abroad = Signal("permanent_resident_elsewhere", True, _quote(original, start, end))
        if judged[key]:
            continue
        return Signal("permanent_resident", True, _quote(original, start, end))
    # Permanent residence said beside a place abroad, Canada unnamed ("I have PR and work at the University of
    # Sydney"): not Canada's, but the consultant is told to ask which country's it is.
    return abroad


# "at" right after one of these names an employer ("I have PR and work at Shopify").
_AT_WORK = re.compile(r"\b(?:work|works|working|worked|employed|job|position|intern|interning)\s+$")


def _elsewhere(original: str, text: str, start: int, end: int, *, employer_after_at: bool = False) -> bool:
    """Whether the sentence text[start:end] names a place outside Canada: a country (other than Canada), a region
    such as the EU or Dubai, or a capitalised place after "in", "at", "from", "à", "dans", "en" (with
    `employer_after_at`, a name after "at" or "from" is an employer: "an offer from Shopify")."""
    # Canadian places are blanked first ("Prince Edward Island" holds the name of Iceland in English).
    part = _CANADA_PLACE_RE.sub(lambda m: " " * len(m.group(0)), text[start:end])
    if _REGIONS.search(part):
        return True
    names = _country_words()[1]
    tokens = _WORD.findall(part)
    if any(" ".join(tokens[i:i + size]) in names for i in range(len(tokens)) for size in (1, 2, 3, 4)):
        return True
    demonyms = _country_words()[0]
    capitals = len(original) == len(text)  # positions match (see normalise): the lead's capitals can be read
    if _foreign_city_in(original, text, start, end, part, tokens, capitals):
        return True
    for place in _PLACE_BEFORE.finditer(part):
        at = start + place.end()
        at_word = start + place.start()
        if place.group(0).startswith("at") and _AT_WORK.search(text, max(start, at_word - 20), at_word):
            continue  # "I work at Shopify": an employer, not a place
        if employer_after_at and place.group(0).startswith(("at", "from")):
            continue
        if place.group(0).startswith("a ") and (not capitals or original[start + place.start()] not in "àÀ"):
            continue  # "a" is French "à" only when written so
        word = _WORD.match(text, at)
        if word is None or word.group(0) in _NOT_A_PLACE or word.group(0) in demonyms:
            continue  # "in March", "fluent in French"
        if capitals and original[at].isupper():
            return True
    return False


def _foreign_city_in(original: str, text: str, start: int, end: int, part: str, tokens: list[str],
                     capitals: bool) -> bool:
    """Whether a large city abroad is named in text[start:end] ("the University of Sydney", "in Dubai"), not followed
    by a Canadian province ("Sydney, Nova Scotia"). A city that is also an everyday word ("nice") only when written
    with a capital."""
    cities = _foreign_cities()
    if not any(token in cities or f"{token} " in _city_starts() for token in tokens):
        return False  # most sentences name no city: no word positions needed
    words = list(_WORD.finditer(part))
    for i, word in enumerate(words):
        for size in (3, 2, 1):
            phrase = " ".join(w.group(0) for w in words[i:i + size])
            if len(words[i:i + size]) != size or phrase not in cities:
                continue
            last = words[i + size - 1]
            if _PROVINCE_AFTER.match(text[:end], start + last.end()):
                continue  # "Sydney, Nova Scotia", "London ON"
            if phrase in _EVERYDAY_WORDS and not (capitals and original[start + word.start()].isupper()):
                continue
            return True
    return False


_EVERYDAY_WORDS = frozenset({"nice"})


@cache
def _city_starts() -> frozenset[str]:
    return frozenset(city.split()[0] + " " for city in _foreign_cities() if " " in city)


# One alternation per kind (fewer scans of the text); "age" keeps its patterns apart for their groups.
_COMBINED = {kind: [re.compile("|".join(f"(?:{p.pattern})" for p in patterns))] for kind, patterns in PATTERNS.items()}
_NEGATION = re.compile(r"(?:\bno\b|n't|\bnot\b|without|\bpas\b|\bsans\b|\baucune?\b|\bnever\b)[^.!?]{0,14}$")
_HIRE_COUNT = re.compile(rf"\b(?:hire|recruit|embaucher|recruter)\s+({_OBJECT})\b")
_CITIZEN_BEFORE = frozenset({"am", "im", "m", "suis", "citizen", "citizens", "citizenship", "nationality",
                             "nationalite", "passport", "passeport", "citoyen", "citoyenne", "citoyennete",
                             "hold", "dual", "double", "are", "sommes", "of", "de", "both"})
_CITIZEN_AFTER = frozenset({"citizen", "citizenship", "passport", "national", "nationality", "citoyen",
                            "citoyenne", "passeport", "nationalite", "passports"})
_NOT_CITIZEN_BEFORE = frozenset({"in", "speak", "speaks", "speaking", "parle", "en", "learn", "learning",
                                 "learned", "study", "studied", "teach", "teacher", "a", "an", "the",
                                 # French puts the adjective after the company: "nous sommes une société française"
                                 "societe", "entreprise", "compagnie", "agence", "cabinet", "filiale", "groupe",
                                 "startup", "start-up", "pme", "marque", "firme", "multinationale", "association"})
_NOT_CITIZEN_AFTER = frozenset({"speaker", "speakers", "speaking", "language", "teacher", "company", "employer",
                                "restaurant", "cuisine", "food", "class", "course", "fluent", "firm", "client",
                                "office", "branch", "degree", "university", "market", "le", "la", "tutor",
                                "instructor", "translator", "interpreter", "clients", "customers", "culture",
                                "literature", "studies", "dancer", "dancing", "music", "car", "cars", "brand",
                                "visa", "embassy", "government", "partner", "partners", "teachers", "lessons"})
# "I'm from Australia", "je viens du Maroc": a country after one of these is the lead's only when the lead is the
# subject (_says_where_from); "my husband comes from", "back from", "recruter ... de France" are not.
_FROM = frozenset({"from", "de", "du", "d", "des"})
_ARTICLES = frozenset({"the", "le", "la", "l", "les"})
# The lead right before "from" (fillers left out): "I am (originally) from", "I come from", "je suis (originaire) de".
_SELF_FROM = (("i", "am"), ("i", "m"), ("im",), ("i", "come"), ("je", "viens"), ("je", "suis"))
_SELF_IS = (("i", "am"), ("i", "m"), ("je", "suis"))
_SELF_FILLERS = frozenset({"originally", "also", "actually", "aussi", "originaire", "natif", "native"})
_GREETINGS = frozenset({"hi", "hello", "hey", "dear", "bonjour", "bonsoir", "salut", "madame", "monsieur"})
# Words that end a self-description before "from" ("I'm a nurse from ..." is; "I'm a nurse married to a man
# from ...", "I'm a developer working remotely from ...", "I'm a recruiter from ..." (a business) are not).
_NOT_A_DESCRIPTION = frozenset({"a", "an", "the", "un", "une", "le", "la", "les", "des", "to", "with", "for", "at",
                                "in", "on", "by", "about", "of", "and", "or", "but", "who", "that", "avec", "pour",
                                "chez", "en", "au", "aux", "dans", "sur", "et", "ou", "mais", "qui", "de", "du", "d",
                                "working", "living", "based", "staying", "moving", "relocating", "remotely",
                                "currently", "now", "here", "there", "just", "recently", "married", "marie", "mariee",
                                "company", "business", "firm", "startup", "agency", "recruiter", "employer",
                                "entreprise", "societe", "agence", "recruteur", "employeur", "cabinet"})
# In the clause before a country (after the lead's last "I"/"je"): it is someone else's or a place visited, left
# or hired from ("my wife is French", "back from Australia", "we want to hire Filipino caregivers").
_SOMEONE_ELSE = frozenset({
    "husband", "wife", "spouse", "partner", "fiance", "fiancee", "boyfriend", "girlfriend", "brother", "sister",
    "mother", "father", "mom", "mum", "dad", "parents", "son", "daughter", "child", "children", "kids", "cousin",
    "uncle", "aunt", "grandmother", "grandfather", "grandparents", "family", "friend", "friends", "colleague",
    "colleagues", "boss", "he", "she", "they", "his", "her", "their", "mari", "femme", "epoux", "epouse",
    "conjoint", "conjointe", "frere", "soeur", "pere", "mere", "fils", "fille", "enfants", "cousine", "oncle",
    "tante", "famille", "ami", "amie", "amis", "copain", "copine", "collegue", "patron", "il", "elle", "ils",
    "elles", "sa", "ses", "leur",
    "back", "returned", "return", "returning", "travel", "travelled", "traveled", "travelling", "traveling", "trip",
    "visit", "visited", "visiting", "vacation", "rentre", "rentree", "rentrer", "revenu", "revenue", "retour",
    "voyage", "voyager", "sejour", "visite",
    "hire", "hiring", "recruit", "recruiting", "recruitment", "sponsor", "sponsoring", "recruter", "recrutons",
    "recrutement", "embaucher", "embauchons", "engager", "cherchons", "recherchons"})
_SOMEONE_ELSE_PAIRS = frozenset({("married", "to"), ("marie", "a"), ("mariee", "a"), ("marie", "avec"),
                                 ("mariee", "avec"), ("looking", "for"), ("searching", "for")})
_SELF = frozenset({"i", "im", "je", "j", "me", "moi"})
# Between "citizen(ship)", "passport"... and the country: "citizen of the", "citizenship: Italy and Brazil".
_CITIZEN_LINKS = frozenset({"of", "de", "du", "d", "des", "the", "le", "la", "l", "les", "and", "et", "or", "ou",
                            "is", "est", "are", "both", "from", "in", "en", "holder", "holders", "dual", "double"})
_CITIZEN_WORDS = frozenset({"citizen", "citizens", "citizenship", "nationality", "nationalite", "passport",
                            "passports", "passeport", "passeports", "citoyen", "citoyenne", "citoyennete", "national"})
# "UK" and "US" are read only tied to one of _CITIZEN_WORDS ("a UK citizen", "citizen of the US", "passeport
# US"); "us" is also a pronoun ("send us passport copies"), so it must be written "US" or follow a word it cannot
# follow as a pronoun.
_SHORT_NAMES = {"uk": "GB", "us": "US"}
_BEFORE_US = frozenset({"a", "an", "the", "am", "m", "im", "my", "dual"})
# What may follow "a UK national" when it is a person ("a UK national living in Dubai"), not "a US national park".
_AFTER_A_NATIONAL = frozenset({"and", "but", "or", "living", "working", "residing", "based", "currently", "now",
                               "with", "who", "since", "looking", "here", "in", "et", "mais"})
# How far back "I am" may stand from a nationality: "I am a 31 year old Australian".
_CLAUSE_WORDS = 6
_RESIDENCE_BEFORE = (("live", "in"), ("living", "in"), ("based", "in"), ("reside", "in"), ("residing", "in"),
                     ("resident", "of"), ("j", "habite"), ("habite", "en"), ("habite", "au"), ("vis", "en"),
                     ("vis", "au"), ("vit", "en"), ("work", "in"), ("working", "in"), ("currently", "in"))
_PROVINCE_WORDS = ("quebec", "ontario", "alberta", "manitoba", "saskatchewan", "nova scotia", "new brunswick",
                   "nouveau brunswick", "british columbia", "colombie britannique", "newfoundland", "yukon",
                   "prince edward island", "nouvelle ecosse", "nunavut", "northwest territories")
_WORD = re.compile(r"[a-z0-9]+")


@cache
def _country_words() -> tuple[dict[str, str], dict[str, str]]:
    demonyms = {k: v for k, v in demonym_index().items() if v != "CA"}
    names = {k: v for k, v in name_index().items() if v != "CA" and len(k) > 2}
    return demonyms, names


@cache
def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    if not keywords:
        return None
    words = sorted({normalise(k) for k in keywords}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")


# In the clause before a job offer: a question, a need, a plan or a wish ("Do I need a job offer?", "how can I
# get a job offer", "I hope to find an offer"): not an offer held. Before the lead's own "I have", only these count.
_OFFER_PLAN = re.compile(
    r"\b(?:need|needs|needed|require|requires|required|necessary|mandatory|if|whether|hope|hoping|want|wants|"
    r"wish|looking|look|seeking|seek|search|searching|find|finding|get|getting|obtain|obtaining|land|how|what|"
    r"which|can|could|should|must|would|will|do|does|is there|is it|est-ce|faut|besoin|trouver|obtenir|chercher|"
    r"cherche|espere|veux|voudrais|souhaite|comment|dois-je|peut-on|avoir|sans|without)\b")
# Someone else's offer ("my wife has a job offer", "il a une offre"), when the lead does not say "I have".
_OFFER_SOMEONE_ELSE = re.compile(
    r"\b(?:he|she|they|his|her|their|il|elle|ils|elles|son|sa|ses|leur|leurs|"
    r"(?:my|mon|ma) (?:wife|husband|spouse|partner|fiance|fiancee|mother|father|mom|dad|parents?|brother|sister|"
    r"son|daughter|child|children|kids?|friend|boyfriend|girlfriend|mari|conjoint|conjointe|epoux|epouse|femme|"
    r"fils|fille|frere|soeur|pere|mere|ami|amie|copain|copine))\b")
# A clause ends at a punctuation mark or at a joining word ("as I have a job offer" starts a clause).
_OFFER_CLAUSE = re.compile(r"[.!?;,:()]|\b(?:and|but|or|so|because|as|since|et|mais|ou|donc|car|puisque|comme)\b")
# The lead saying they hold one: "I have", "I've got", "I was offered", "j'ai (reçu) une", "je viens d'obtenir".
_OFFER_HELD = re.compile(
    r"\b(?:i|we)(?: (?:just|already|now|also|finally|recently))? (?:have|got|received|hold|accepted|signed|landed|"
    r"secured|was offered|were offered)\b|\b(?:i've|ive|i have|we've|we have)(?: (?:just|already|now|also|finally|"
    r"recently))? (?:got|gotten|received|accepted|signed|landed|secured|been offered)\b|"
    r"\bj'ai (?:(?:deja|enfin|aussi|maintenant) )?(?:(?:recu|obtenu|accepte|signe|decroche) )?(?:une|un)\b|"
    r"\bnous avons\b|\bon m'a (?:offert|propose)\b|\bje viens d'(?:obtenir|avoir|recevoir|accepter|decrocher)\b")
# How far after an offer its place is looked for, and how many mentions are judged (a long message stays cheap).
_OFFER_PLACE_SPAN = 80
_OFFER_MENTIONS = 5
FOREIGN_CITIES_FILE = Path(__file__).resolve().parent.parent / "data" / "foreign_cities.yaml"


@cache
def _foreign_cities() -> frozenset[str]:
    data = yaml.safe_load(FOREIGN_CITIES_FILE.read_text(encoding="utf-8")) or {}
    return frozenset(normalise(str(city)) for city in data.get("cities") or [])


# A province right after a city's name makes it the Canadian one ("London, Ontario", "Paris ON").
_PROVINCE_AFTER = re.compile(r"\s*,?\s*(?:ontario|ont|on|quebec|qc|british columbia|bc|b\.c|alberta|ab|manitoba|mb|"
                             r"saskatchewan|sk|nova scotia|ns|new brunswick|nb|canada)\b")


def _offer_abroad(text: str, end: int) -> bool:
    """Whether the first place named after an offer (in its sentence, within _OFFER_PLACE_SPAN characters) is
    abroad: a country other than Canada, a region such as the EU, or a large city abroad. A Canadian place named
    first wins ("in London, Ontario", "in Toronto with a company from France"); no place named is Canada."""
    limit = min(len(text), end + _OFFER_PLACE_SPAN)
    stop = _SENTENCE_BREAK.search(text, end, limit)
    window = text[end:stop.start() if stop else limit]
    canada = _CANADA_PLACE_RE.search(window)
    canada_at = canada.start() if canada else len(window)
    region = _REGIONS.search(window)
    if region is not None and region.start() < canada_at:
        return True
    names, cities = _country_words()[1], _foreign_cities()
    words = list(_WORD.finditer(window, 0, canada_at))
    for i in range(len(words)):
        for size in (1, 2, 3):
            phrase = " ".join(word.group(0) for word in words[i:i + size])
            if phrase in names:
                return True
            if phrase in cities and not _PROVINCE_AFTER.match(window, words[min(i + size, len(words)) - 1].end()):
                return True
    return False


def _job_offer(original: str, text: str, pattern: re.Pattern[str]) -> Signal | None:
    """The lead's own job offer in Canada (True), a denial of one (False), or None when every mention is a
    question, a plan, someone else's offer or an offer abroad ("a job offer in Paris", "an offer from Google in
    Seattle"): then the offer is still asked for, rather than taken as held."""
    clause_starts = [0] + [m.end() for m in _OFFER_CLAUSE.finditer(text)]
    for count, match in enumerate(pattern.finditer(text)):
        if count == _OFFER_MENTIONS:
            break
        start, end = match.span()
        quote = _quote(original, start, end)
        if _NEGATION.search(text[max(0, start - 20):start]):
            return Signal("job_offer", False, quote)
        clause_start = clause_starts[bisect_right(clause_starts, start) - 1]
        held = max(_OFFER_HELD.finditer(text, clause_start, end), key=lambda m: m.start(), default=None)
        if held is not None:
            if _OFFER_PLAN.search(text, clause_start, held.start()):
                continue  # "What if I have a job offer?"
        elif _OFFER_PLAN.search(text, clause_start, start) or _OFFER_SOMEONE_ELSE.search(text, clause_start, start):
            continue
        sentence_end = _SENTENCE_BREAK.search(text, end)
        if sentence_end is not None and text[sentence_end.start()] == "?" and held is None:
            continue  # "A job offer is required for CUSMA?"
        if _offer_abroad(text, end):
            continue
        return Signal("job_offer", True, quote)
    return None


def _quote(original: str, start: int, end: int) -> str:
    # Widen to whole words so that a quote never starts inside "I'm".
    while start > 0 and not original[start - 1].isspace():
        start -= 1
    return " ".join(original[start:end].split())


def read_message(original: str, tech_keywords: tuple[str, ...] = (),
                 programs: tuple[tuple[str, tuple[str, ...]], ...] = (), received: date | None = None) -> list[Signal]:
    """Every signal found in one message, in order of kind. `programs`: the PR programs to look for, as (key,
    words) pairs (ruleset `bridging.programs`); `received`: the day the message came in, from which a permit
    expiry said relative to it ("expires in 2 months") is counted (not read without it)."""
    text = normalise(original)
    found: list[Signal] = []
    for kind, patterns in PATTERNS.items():
        for pattern in (patterns if kind == "age" else _COMBINED[kind]):
            if kind in _THE_LEADS_OWN:  # the first mention that is about the lead, not a relative's studies or age
                match = next((m for m in pattern.finditer(text)
                              if not _about_someone_else(text, m.start(), m.end(), kind not in _ABOUT_A_RELATIVE)),
                             None)
            elif kind == "pgwp_held":  # "how do I apply for my PGWP?" is a permit to come, not one held
                match = next((m for m in pattern.finditer(text) if not _PGWP_TO_COME.search(text, 0, m.start())),
                             None)
            else:
                match = pattern.search(text)
            if match is None:
                continue
            quote = _quote(original, match.start(), match.end())
            if kind == "age":
                age = int(match.group(1)) - (1 if any(name.startswith("next") for name in pattern.groupindex) else 0)
                if 14 <= age <= 99:
                    found.append(Signal("age", age, quote))
            elif kind == "pgwp_mentioned" and _OFFER_SOMEONE_ELSE.search(text, max(0, match.start() - 30),
                                                                         match.start()):
                pass  # "my husband has a PGWP": someone else's permit, not a question about the lead's studies
            elif kind == "spouse_coming" and not _SPOUSE_NAMED.search(text):
                continue  # "can she work?" with no spouse of the lead's named: someone else
            elif kind == "job_offer":
                offer = _job_offer(original, text, pattern)
                if offer is not None:
                    found.append(offer)
            elif kind == "hire":
                count = _HIRE_COUNT.search(text)
                value = _NUMBER_WORDS.get(count.group(1)) or (int(count.group(1)) if count and
                                                             count.group(1).isdigit() else None) if count else None
                found.append(Signal("hire", value, quote))
            else:
                found.append(Signal(kind, True, quote))
            break
    resident = _permanent_resident(original, text)
    if resident is not None:
        found.append(resident)
    expiry = _permit_expiry(original, text, received)
    if expiry is not None:
        found.append(expiry)
    tenure = _tenure(original, text)
    if tenure is not None:
        found.append(tenure)
    program = _pr_programs(original, text, programs)
    if program is not None:
        found.append(program)
    tech = keyword_pattern(tech_keywords)
    if tech is not None:
        match = next((m for m in tech.finditer(text) if not _about_someone_else(text, m.start(), m.end())), None)
        if match:
            found.append(Signal("tech", match.group(0), _quote(original, match.start(), match.end())))
    found.extend(_countries(original, text))
    found.extend(_province(original, text))
    return found


def _countries(original: str, text: str) -> list[Signal]:
    demonyms, names = _country_words()
    words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
    tokens = [w for w, _, _ in words]
    found: list[Signal] = []
    i = 0
    while i < len(words):
        hit = None
        for size in (4, 3, 2, 1):
            if i + size > len(words):
                continue
            key = " ".join(tokens[i:i + size])
            if key in demonyms:
                hit = ("demonym", demonyms[key], size)
                break
            if key in names:
                hit = ("name", names[key], size)
                break
        if hit is None and tokens[i] not in _SHORT_NAMES:
            i += 1
            continue
        clause_start = max(text.rfind(mark, 0, words[i][1]) for mark in ".!?;") + 1
        before = [w for w, start, _ in words[max(0, i - _CLAUSE_WORDS):i] if start >= clause_start]
        if hit is None:
            tied = _short_name_tied(original, words, i, clause_start)
            if tied and not _someone_elses(before):
                start, end = words[max(0, i - 3)][1], words[i + 1][2] if tied == "after" else words[i][2]
                found.append(Signal("citizenship", _SHORT_NAMES[tokens[i]], _quote(original, start, end)))
            i += 1
            continue
        how, code, size = hit
        after = tokens[i + size:i + size + 2]
        start, end = words[max(0, i - 3)][1], words[min(len(words), i + size) - 1][2]
        if after and after[0] in _CITIZEN_AFTER:
            end = words[i + size][2]
        quote = _quote(original, start, end)
        previous = before[-1] if before else ""
        if how == "demonym":
            described = previous not in _NOT_CITIZEN_BEFORE or before[-2:-1] in (["am"], ["im"], ["m"])
            citizen = ((after and after[0] in _CITIZEN_AFTER)
                       or (described and (not after or after[0] not in _NOT_CITIZEN_AFTER)
                           and any(word in _CITIZEN_BEFORE for word in before)))
            if citizen and not _someone_elses(before):
                found.append(Signal("citizenship", code, quote))
        else:
            pair = tuple(before[-2:])
            if pair in _RESIDENCE_BEFORE or (len(before) >= 3 and tuple(before[-3:-1]) in _RESIDENCE_BEFORE):
                found.append(Signal("residence", code, quote))
            elif not _someone_elses(before) and ((after and after[0] in _CITIZEN_AFTER) or _after_citizen_word(before)
                                                 or _says_where_from(original, words, i, clause_start)):
                found.append(Signal("citizenship", code, quote))
        i += size
    return found


def _someone_elses(before: list[str]) -> bool:
    """Whether the clause since the lead last said "I"/"je" makes the country someone else's or a place visited,
    left or hired from."""
    own = max((k for k, word in enumerate(before) if word in _SELF), default=-1)
    rest = before[own + 1:]
    return any(word in _SOMEONE_ELSE for word in rest) or any(pair in _SOMEONE_ELSE_PAIRS for pair in pairwise(rest))


# Facts about the lead's own situation (studies, age, an application, a transfer, a trade...): a mention whose
# sentence names someone else since the lead last said "I"/"je" ("my daughter graduated from a college in Toronto",
# "my husband applied for PR", "mon fils a étudié à Montréal", "she is 24 years old") is that person's, not the
# lead's. The spouse's own kinds (spouse_worker, spouse_student) and a family coming along are about a relative
# by nature: only a third person before them counts ("my friend's husband works in Toronto").
_THE_LEADS_OWN = frozenset({"age", "owns_business", "spouse_worker", "spouse_student", "studied_in_canada",
                            "studying_in_canada", "pgwp_doubt", "family_along", "pr_pending", "french_speaker",
                            "transfer", "student", "exchange", "exceptional", "spouse_coming",
                            "spouse_canadian", "degree_internship"})
_ABOUT_A_RELATIVE = frozenset({"spouse_worker", "spouse_student", "family_along", "spouse_coming",
                               "spouse_canadian"})
_OTHER_PEOPLE = frozenset({
    "husband", "wife", "spouse", "partner", "fiance", "fiancee", "boyfriend", "girlfriend", "brother", "sister",
    "mother", "father", "mom", "mum", "dad", "parents", "son", "sons", "daughter", "daughters", "child", "children",
    "kid", "kids", "cousin", "uncle", "aunt", "nephew", "niece", "grandson", "granddaughter", "grandmother",
    "grandfather", "friend", "friends", "colleague", "colleagues", "coworker", "employee", "employees", "boss",
    "he", "she", "they", "his", "her", "their", "him", "them",
    "mari", "femme", "epoux", "epouse", "conjoint", "conjointe", "frere", "soeur", "pere", "mere", "fils", "fille",
    "filles", "enfant", "enfants", "cousine", "oncle", "tante", "neveu", "ami", "amie", "amis", "amies", "copain",
    "copine", "collegue", "collegues", "employe", "employes", "salarie", "salariee", "patron", "il",
    "elle", "ils", "elles", "sa", "ses", "leur", "leurs", "lui"})
# A role the lead may have ("I'm a partner in a law firm", "je suis une femme ingénieure", "an employee of"):
# someone else only without "a"/"un" right before.
_ROLES = frozenset({"partner", "employee", "femme", "employe", "salarie", "salariee", "colleague"})
# Inside the words matched: a possessive that makes them someone else's ("finished his diploma at Seneca").
_THEIR = frozenset({"his", "her", "their", "sa", "ses", "leur", "leurs"})


def _about_someone_else(text: str, start: int, end: int, relatives_too: bool = True) -> bool:
    """Whether the mention text[start:end] is about someone other than the lead: its sentence names another person
    since the lead last said "I"/"je" (with `relatives_too` False, a relative right before counts only as a
    possessor: "my friend's husband"), or the mention itself says "his"/"her"."""
    inside = _WORD.findall(text, start, end)
    if any(word in _SELF for word in inside):
        return False  # "they want to transfer me to our Toronto office": the lead is in the words themselves
    sentence_start = max(text.rfind(mark, 0, start) for mark in ".!?;\n") + 1
    before = _WORD.findall(text, sentence_start, start)
    own = max((k for k, word in enumerate(before) if word in _SELF), default=-1)
    rest = before[own + 1:]
    if not relatives_too:
        # "my husband works": the spouse is the subject; "my friend's husband works": the friend's
        possessor = re.search(r"\b([a-z]+)'s?\s*$", text[sentence_start:start])
        return possessor is not None and possessor.group(1) in _OTHER_PEOPLE
    for k, word in enumerate(rest):
        if word in _OTHER_PEOPLE and not (word in _ROLES and k > 0 and rest[k - 1] in ("a", "an", "un", "une")):
            return True
    return any(word in _THEIR for word in inside)


def _after_citizen_word(before: list[str]) -> bool:
    """"citizen of the", "citizenship: Italy and": a citizen word, then only links or other countries' names."""
    for word in reversed(before):
        if word in _CITIZEN_WORDS:
            return True
        if word not in _CITIZEN_LINKS and word not in _country_tokens():
            return False
    return False


def _says_where_from(original: str, words: list[tuple[str, int, int]], i: int, clause_start: int) -> bool:
    """Whether the lead says they are from the country starting at word i: "I'm from", "I am originally from",
    "I come from", "I'm a nurse from", "I'm Maria from", "je viens du", "je suis originaire de", and
    "Originally from" opening a sentence."""
    k = i - 1
    if k >= 1 and words[k][0] in _ARTICLES and words[k - 1][0] in _FROM:  # "from the Philippines"
        k -= 1
    if k < 0 or words[k][0] not in _FROM or words[k][1] < clause_start:
        return False
    sentence = [w for w, start, _ in words[:k] if start >= clause_start]
    if [w for w in sentence if w not in _GREETINGS] in (["originally"], ["originaire"]):
        return True
    tail = [(w, start) for w, start, _ in words[max(0, k - 10):k] if start >= clause_start and w not in _SELF_FILLERS]
    said = [w for w, _ in tail]
    if any(tuple(said[-len(frame):]) == frame for frame in _SELF_FROM):
        return True
    # Where the words after the lead's last "I am" / "je suis" start.
    subject = max([n + 2 for n in range(len(said) - 1) if (said[n], said[n + 1]) in _SELF_IS]
                  + [n + 1 for n, w in enumerate(said) if w == "im"], default=-1)
    if subject < 0:
        return False
    gap = tail[subject:]
    if any(w in _NOT_A_DESCRIPTION or w in _SOMEONE_ELSE for w, _ in gap[1:]):
        return False
    if gap and gap[0][0] in ("a", "an", "un", "une"):  # "I'm a 30 year old nurse from"
        return 2 <= len(gap) <= 6
    # "I'm Maria from Brazil": a name, written with a capital, right after "I'm"
    return said[subject - 1] != "suis" and 1 <= len(gap) <= 2 and all(
        original[start].isupper() and w not in _NOT_A_DESCRIPTION and w not in _SOMEONE_ELSE for w, start in gap)


def _short_name_tied(original: str, words: list[tuple[str, int, int]], i: int, clause_start: int) -> str | None:
    """"after" for "UK citizen", "before" for "citizen of the US", else None (see _SHORT_NAMES)."""
    token = words[i][0]
    if token not in _SHORT_NAMES:
        return None
    if token == "us":
        written = original[words[i][1]:words[i][2]]
        capitals = written == "US" and any(c.islower() for c in original)
        if not capitals and (i == 0 or words[i - 1][0] not in _BEFORE_US):
            return None
    following = [w for w, _, _ in words[i + 1:i + 3]]
    if following and following[0] in _CITIZEN_AFTER - {"national"}:
        return "after"
    if following and following[0] == "national" and i > 0 and words[i - 1][0] in ("a", "an") and (
            len(following) == 1 or following[1] in _AFTER_A_NATIONAL
            or re.search(r"[,.;:!?(]", original[words[i + 1][2]:words[i + 2][1]])):
        return "after"  # "a UK national", not "a US national park"
    k = i - 1
    while k >= 0 and words[k][0] in _ARTICLES:
        k -= 1
    if k >= 0 and words[k][0] in ("of", "de", "du", "des", "d"):
        k -= 1
    return "before" if k >= 0 and words[k][1] >= clause_start and words[k][0] in _CITIZEN_WORDS else None


@cache
def _country_tokens() -> frozenset[str]:
    demonyms, names = _country_words()
    return frozenset(word for key in (*demonyms, *names) for word in key.split())


def _province(original: str, text: str) -> list[Signal]:
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word in _CITIES:
            return [Signal("province", _CITIES[word], _quote(original, match.start(), match.end()))]
    spaced = text.replace("-", " ")  # same length: positions still quote the original
    for name in _PROVINCE_WORDS:
        position = spaced.find(name)
        if position >= 0 and (position == 0 or not spaced[position - 1].isalpha()):
            code = lookup_province(name) or ("QC" if name == "quebec" else None)
            if code:
                return [Signal("province", code, _quote(original, position, position + len(name)))]
    return []



# -- The current work permit's expiry date ----------------------------------------------------------------------
# Read only as a date stated with the lead's own permit ("my permit expires on February 14, 2027", "I am on a PGWP
# that expires on 14 Feb 2027", "mon PTPD expire le 14 février 2027"), with a year; a day and month written in
# digits only when they cannot be read the other way round (2027-02-14, 14/02/2027, not 03/04/2027).
_MONTH_NUMBERS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5, "june": 6,
    "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9, "october": 10,
    "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12, "janvier": 1, "janv": 1, "fevrier": 2,
    "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12}
_MONTH_WORD = "(?:" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_DATE = (r"(?:(?P<m1>" + _MONTH_WORD + r")\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>20\d\d)"
         r"|(?P<d2>\d{1,2})(?:st|nd|rd|th|er)?\s+(?:of\s+)?(?P<m2>" + _MONTH_WORD + r"),?\s+(?P<y2>20\d\d)"
         r"|(?P<y3>20\d\d)-(?P<mo3>\d{1,2})-(?P<d3>\d{1,2})"
         r"|(?P<a4>\d{1,2})[/.](?P<b4>\d{1,2})[/.](?P<y4>20\d\d))\b")
_PERMIT_WORD = (r"(?:work permit|open work permit|permit|pgwp|ptpd|owp|wp|permis de travail(?: post-?diplome)?|"
                r"permis)")
_EXPIRES = (r"(?:expires|expire|expired|expiring|will expire|is expiring|is going to expire|ends|will end|runs out|"
            r"is valid until|valid until|valid till|valid through|is good until|expirera|a expire|prend fin|"
            r"se termine|finit|est valide jusqu'au|valide jusqu'au|valable jusqu'au|est valable jusqu'au)")
_PERMIT_EXPIRY = re.compile(r"\b" + _PERMIT_WORD + r"\b(?P<gap>[^.!?;\n]{0,40}?)\b" + _EXPIRES
                            + r"(?:\s+(?:on|in|le|au|the|at))*\s*:?\s*" + _DATE)
_FIRST_PERSON = frozenset({"i", "im", "my", "je", "j", "mon", "ma", "me", "moi", "mine"})


# The same said relative to the day the message was received ("my work permit expires in 2 months", "expires next
# March", "mon permis expire dans 3 mois", "expired two months ago"): worked out from that day. A month alone stands
# for its first day (the earliest the permit may expire), "the end of" a month for its last. A month without "next"
# or "this" ("expires in March") or a vague span ("in a few months") is not read.
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "un": 1, "une": 1,
                "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11,
                "douze": 12}
_COUNT = r"(?P<n>\d{1,2}|a couple of|" + "|".join(sorted(_COUNT_WORDS, key=len, reverse=True)) + ")"
_UNIT = r"(?P<unit>days?|weeks?|months?|years?|jours?|semaines?|mois|ans|annees?)"
_FULL_MONTH = "(?:" + _MONTHS + ")"
_RELATIVE = (r"(?:(?:in|within|dans|d'ici) (?:about |around |roughly |approximately |environ |a peu pres )?" + _COUNT
             + r" " + _UNIT + r"(?! ago)"
             r"|(?P<ago>" + _COUNT.replace("?P<n>", "?P<n_ago>") + r" " + _UNIT.replace("?P<unit>", "?P<unit_ago>")
             + r" ago|il y a " + _COUNT.replace("?P<n>", "?P<n_ilya>") + r" "
             + _UNIT.replace("?P<unit>", "?P<unit_ilya>") + r")"
             r"|(?:(?:at |by |around |towards |a )?(?:the |la )?)?(?P<end>end of|fin(?: de| du| d')?) ?(?P<end_what>"
             r"(?:this|next|the) (?:month|year)|(?:ce|le) mois(?: prochain)?|l'annee(?: prochaine)?|cette annee|mois|"
             r"(?:this |next )?" + _FULL_MONTH + r"(?: prochain)?)"
             r"|(?P<next>next|this coming|the coming|this) (?P<next_what>week|month|year|" + _FULL_MONTH + r")"
             r"|(?:le |la |l')?(?P<fr_next_what>semaine|mois|annee|" + _FULL_MONTH + r") prochaine?"
             r"|(?:en )?(?P<month_next_year>" + _FULL_MONTH + r")(?: of)? next year"
             r"|(?P<last>last|le mois dernier|l'annee derniere|la semaine derniere) ?(?P<last_what>week|month|year|"
             + _FULL_MONTH + r")?)\b")
_PERMIT_EXPIRY_RELATIVE = re.compile(r"\b" + _PERMIT_WORD + r"\b(?P<gap>[^.!?;\n]{0,40}?)\b" + _EXPIRES
                                     + r"\s+(?:(?:on|in|le|en)\s+)?" + _RELATIVE)


def _permit_expiry(original: str, text: str, received: date | None = None) -> Signal | None:
    """The lead's own permit's expiry day: a date with a year, else (with `received`, the day the message came in)
    a day said relative to it, marked `estimated`."""
    found = _permit_expiry_in(original, text, _PERMIT_EXPIRY, None)
    if found is None and received is not None:
        found = _permit_expiry_in(original, text, _PERMIT_EXPIRY_RELATIVE, received)
    return found


def _permit_expiry_in(original: str, text: str, pattern: re.Pattern[str], received: date | None) -> Signal | None:
    for match in pattern.finditer(text):
        clause_start = max(text.rfind(mark, 0, match.start()) for mark in ".!?;\n") + 1
        before = _WORD.findall(text[clause_start:match.start()])
        # The lead's own permit: said in the first person, and no one else named since ("my wife's permit").
        if not any(word in _FIRST_PERSON for word in before) or _someone_elses(
                before[max(k for k, word in enumerate(before) if word in _FIRST_PERSON):]) or any(
                word in _SOMEONE_ELSE for word in _WORD.findall(match.group("gap"))):
            continue
        day = _date_of(match) if received is None else _relative_day(match, received)
        if day is not None:
            # an ISO day: the signals are stored as JSON with the classification
            return Signal("permit_expiry", day.isoformat(), _quote(original, match.start(), match.end()),
                          estimated=received is not None)
    return None


def _next_month_named(received: date, month: int, *, strictly: bool) -> date:
    """The first day of the next `month` after the received day's month (or in it, unless `strictly`)."""
    year = received.year if month > received.month or (month == received.month and not strictly) \
        else received.year + 1
    return date(year, month, 1)


def _end_of_month(day: date) -> date:
    return date.fromordinal(add_months(day.replace(day=1), 1).toordinal() - 1)


def _relative_day(match: re.Match[str], received: date) -> date | None:
    """The day a relative expiry (see _RELATIVE) falls on, counted from `received`."""
    groups = match.groupdict()
    for count_key, unit_key, sign in (("n", "unit", 1), ("n_ago", "unit_ago", -1), ("n_ilya", "unit_ilya", -1)):
        if groups.get(count_key):
            count = groups[count_key]
            n = int(count) if count.isdigit() else _COUNT_WORDS[count]
            unit = groups[unit_key]
            if unit.startswith(("day", "jour")):
                return date.fromordinal(received.toordinal() + sign * n)
            if unit.startswith(("week", "semaine")):
                return date.fromordinal(received.toordinal() + sign * 7 * n)
            if unit.startswith(("month", "mois")):
                return add_months(received, sign * n)
            return add_months(received, sign * 12 * n)
    if groups.get("end"):
        what = groups["end_what"]
        if what in ("the year", "this year", "l'annee", "cette annee"):
            return date(received.year, 12, 31)
        if what in ("next year", "l'annee prochaine"):
            return date(received.year + 1, 12, 31)
        if what in ("this month", "the month", "ce mois", "le mois", "mois"):
            return _end_of_month(received)
        if what in ("next month", "le mois prochain", "ce mois prochain"):
            return _end_of_month(add_months(received.replace(day=1), 1))
        month = _MONTH_NUMBERS[what.split()[-2] if what.endswith(" prochain") else what.split()[-1]]
        first = _next_month_named(received, month, strictly=what.startswith("next") or what.endswith("prochain"))
        return _end_of_month(first)
    what = groups.get("next_what") or groups.get("fr_next_what")
    if what:
        this = groups.get("next") == "this"
        if what in ("week", "semaine"):
            return date.fromordinal(received.toordinal() + 7)
        if what in ("month", "mois"):
            return add_months(received.replace(day=1), 1)
        if what in ("year", "annee"):
            return date(received.year + 1, 1, 1)
        return _next_month_named(received, _MONTH_NUMBERS[what], strictly=not this)
    if groups.get("month_next_year"):
        return date(received.year + 1, _MONTH_NUMBERS[groups["month_next_year"]], 1)
    if groups.get("last"):
        last, what = groups["last"], groups.get("last_what")
        if last == "le mois dernier" or what == "month":
            return add_months(received.replace(day=1), -1)
        if last == "la semaine derniere" or what == "week":
            return date.fromordinal(received.toordinal() - 7)
        if last == "l'annee derniere" or what == "year":
            return date(received.year - 1, 1, 1)
        if what:
            month = _MONTH_NUMBERS[what]
            year = received.year if month < received.month else received.year - 1
            return date(year, month, 1)
    return None


def _date_of(match: re.Match[str]) -> date | None:
    if match.group("y1"):
        year, month, day = int(match.group("y1")), _MONTH_NUMBERS[match.group("m1").rstrip(".")], int(match.group("d1"))
    elif match.group("y2"):
        year, month, day = int(match.group("y2")), _MONTH_NUMBERS[match.group("m2").rstrip(".")], int(match.group("d2"))
    elif match.group("y3"):
        year, month, day = int(match.group("y3")), int(match.group("mo3")), int(match.group("d3"))
    else:
        first, second = int(match.group("a4")), int(match.group("b4"))
        if first != second and first <= 12 and second <= 12:
            return None  # 03/04/2027: March or April, nobody can tell
        year, day, month = int(match.group("y4")), max(first, second), min(first, second)
    try:
        return date(year, month, day)
    except ValueError:
        return None


# -- Time with the employer, for a transfer ------------------------------------------------------------------------
# "6 years with Infosys", "I've been with the company for 8 months", "worked for them for 3 years", "5 ans chez
# Capgemini", "chez Thales depuis 4 ans": read only in the first person or with no one else named, and used only
# beside a transfer (streams.intra_company). A relative or a school after "with"/"at" is not an employer.
_TENURE_COUNT = (r"(?P<n>\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|un|une|deux|trois|quatre|"
                 r"cinq|dix)")
_TENURE = re.compile(
    r"\b" + _TENURE_COUNT + r"(?P<half> and a half)? (?P<unit>years?|yrs?|months?) (?:with|at) (?P<at>[a-z0-9&'-]+)"
    r"|\b(?:been|worked|working) (?:with|for|at) (?P<at2>[a-z0-9&'-]+)(?: [a-z0-9&'-]+){0,3}? for "
    + _TENURE_COUNT.replace("?P<n>", "?P<n2>") + r" (?P<unit2>years?|months?)"
    r"|\b" + _TENURE_COUNT.replace("?P<n>", "?P<n3>") + r" (?P<unit3>ans|annees|mois) (?:chez|dans l'entreprise|"
    r"dans la societe|dans le groupe)\b"
    r"|\bchez [a-z0-9&'-]+(?: [a-z0-9&'-]+){0,2}? depuis " + _TENURE_COUNT.replace("?P<n>", "?P<n4>")
    + r" (?P<unit4>ans|annees|mois)\b")
_NOT_AN_EMPLOYER = frozenset({"university", "college", "school", "home", "least", "most", "the", "a", "my", "mon",
                              "ma", "universite", "ecole"}) | (_OTHER_PEOPLE - {"them"})  # "2 years with them"
_TENURE_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
                 "dix": 10}


def _tenure(original: str, text: str) -> Signal | None:
    """The lead's years with the employer (a number, months as a fraction of a year), with the words."""
    for match in _TENURE.finditer(text):
        groups = match.groupdict()
        at = groups.get("at") or groups.get("at2")
        if at in _NOT_AN_EMPLOYER and not (at in ("the", "my", "a") and re.match(
                r"(?:the|my|a) (?:current |same )?(?:company|employer|firm|bank|group)\b", text[match.start("at"
                if groups.get("at") else "at2"):])):
            continue
        if _about_someone_else(text, match.start(), match.end()):
            continue
        count = next(groups[k] for k in ("n", "n2", "n3", "n4") if groups.get(k))
        unit = next(groups[k] for k in ("unit", "unit2", "unit3", "unit4") if groups.get(k))
        number = float(count) if count.isdigit() else float(_TENURE_WORDS[count])
        if groups.get("half"):
            number += 0.5
        years = number / 12 if unit.startswith(("month", "mois")) else number
        return Signal("tenure", round(years, 4), _quote(original, match.start(), match.end()))
    return None


# -- The PR program named with the application ------------------------------------------------------------------
# A program counts in a sentence that speaks of an application made ("applied", "submitted", "my application",
# "pending", "waiting", "demande", "soumis"...), never beside a profile, a draw or an invitation still awaited.
_APPLIED = re.compile(r"\b(?:applied|submitted|application|pending|waiting|in process|in progress|aor|"
                      r"acknowledg\w*|demande|soumis|soumise|depose|deposee|en attente|en traitement)\b")
_NOT_APPLIED = re.compile(r"\b(?:ita|invitation|profile|profil|draw|draws|pool|bassin|tirage|crs|will apply|plan to|"
                          r"planning to|want to|going to|hope to|thinking|considering|eligible|compte|je vais|"
                          r"j'aimerais|je veux|je compte|didn't|did not|not yet|haven't|have not|pas encore)\b")


@cache
def _program_pattern(programs: tuple[tuple[str, tuple[str, ...]], ...]) -> re.Pattern[str] | None:
    words = sorted(((normalise(w), key) for key, ws in programs for w in ws), key=lambda pair: -len(pair[0]))
    if not words:
        return None
    return re.compile("|".join(rf"(?P<p{n}>\b{re.escape(word)}\b)" for n, (word, _) in enumerate(words)))


def _pr_programs(original: str, text: str, programs: tuple[tuple[str, tuple[str, ...]], ...]) -> Signal | None:
    """The programs (keys, in the order named) of the lead's PR application, with the words naming them."""
    pattern = _program_pattern(programs)
    if pattern is None:
        return None
    keys = [key for word, key in sorted(((normalise(w), key) for key, ws in programs for w in ws),
                                        key=lambda pair: -len(pair[0]))]
    start = 0
    for end in [m.end() for m in re.finditer(r"[.!?;\n]", text)] + [len(text)]:
        sentence = text[start:end]
        if _APPLIED.search(sentence) and not _NOT_APPLIED.search(sentence):
            named = list(pattern.finditer(sentence))
            if named:
                found = list(dict.fromkeys(keys[int(next(k for k, v in m.groupdict().items() if v)[1:])]
                                           for m in named))
                first, last = named[0], named[-1]
                stop = start + last.end() + (1 if text[start + last.end():start + last.end() + 1] == ")" else 0)
                return Signal("pr_program", tuple(found), _quote(original, start + first.start(), stop))
        start = end
    return None


# -- A relative the message speaks about -----------------------------------------------------------------------
_RELATIVE = re.compile(
    r"\b(?:my|our) (?:husband|wife|spouse|(?:common[- ]law )?partner|fiance|fiancee|boyfriend|girlfriend|brother|"
    r"sister|mother|father|"
    r"mom|mum|dad|parents|son|daughter|child|children|kids|cousin|nephew|niece|uncle|aunt|family|in-laws|"
    r"mother-in-law|father-in-law|brother-in-law|sister-in-law|grandmother|grandfather|grandparents)\b"
    r"|\b(?:mon|ma|mes|notre|nos) (?:mari|femme|epouse|epoux|conjoint|conjointe|fiance|fiancee|copain|copine|frere|"
    r"s(?:oe|\u0153)ur|mere|pere|parents|fils|fille|filles|enfant|enfants|cousin|cousine|neveu|niece|oncle|tante|"
    r"famille|beau-frere|belle-s(?:oe|\u0153)ur|beaux-parents|grands-parents)\b")


def relative_mentioned(original: str) -> str | None:
    """The words naming one of the lead's relatives ("my wife", "mon frère"), or None."""
    text = normalise(original)
    match = _RELATIVE.search(text)
    return _quote(original, match.start(), match.end()) if match else None
