#!/usr/bin/env python3
"""Generate a large, deterministic corpus of synthetic seed documents for benchmarks.

Usage::

    python3 bench/make_corpus.py N DIR [--seed 1] [--clean] [--broken-rate 0.001]

Writes ``N`` seed files to ``DIR/000/00000_<16 hex>.txt``, ``DIR/000/00001_<16 hex>.txt``,
..., 1000 files per subfolder (``DIR/000/``, ``DIR/001/``, ...), plus a marker file
``DIR/.feeds-bench-corpus``.  Only the Python standard library is used.  The same ``N`` and
``--seed`` always give byte-identical files.  The 16 hex digits are a hash of the item's URL,
so deliberate duplicates share them (with a different index prefix).

Shape of one seed (the same as the shipped ``seeds/*.txt``): YAML front matter between the
first two ``---`` lines, an empty body (a few files carry a short Markdown body, some of it
containing a ``---`` rule of its own).  Strings are written as JSON strings, which are valid
YAML double-quoted scalars; provider names, domains, topics, dates and numbers are plain
scalars, exactly as in the real files::

    ---
    category: news
    title: "..."
    excerpt: "..."
    publishedDateTime: 2022-05-06T12:29:00Z
    originalUrl: "https://..."      # missing in about 5 % of the items
    webUrl: "https://..."
    ampWebUrl: "https://..."        # optional, only for providers with AMP pages
    cdnAmpWebUrl: "https://..."     # optional, with ampWebUrl
    type: article                   # about 7 % video
    quality: 17                     # 0-100; missing in about 2 % (older records)
    heat: -1
    published: false                # quality >= 60; missing together with quality

    provider:
      name: IET
      domain: theiet.org
      images:                       # optional, a 50x50 logo (no isCached)
        - url: "https://..."
          width: 50
          height: 50

    topics:                         # 1-3 of 20 topics, skewed towards "AI"
      - AI

    images:                         # 0-2 images; the key is left out when there are none
      - url: "https://..."
        width: 1200
        height: 675
        isCached: true

    related:                        # 0-5 entries; "related: []" when there are none
      - title: "..."
        excerpt: "..."
        publishedDateTime: 2022-05-05T17:30:00Z
        webUrl: "https://..."
        ampWebUrl: "https://..."    # optional
        cdnAmpWebUrl: "https://..." # optional
        type: article
        provider:
          name: Medical Xpress
          domain: medicalxpress.com
        quality: 57
        images:                     # optional, 0-1 image
          - url: "https://..."
            width: 1440
            height: 1920
            isCached: true

    secured: "<base64 of 16*k bytes>;<base64 of 16 bytes>"
    ---

Dates are spread over 2019-2026, URLs over about 50 provider domains (some with ``?`` and
``&`` in them), text sometimes contains curly quotes, ``:``, ``#``, ``%`` or the mojibake the
real data has (``patientâ€™s``).  About 0.5 % of the items reuse the URL (and provider) of an
earlier item.  A fraction ``--broken-rate`` (default 0.1 %) of the files, chosen
deterministically, is broken; the kinds rotate: front matter never closed, YAML syntax error
(an unescaped ``"`` inside a title), front matter that is a top-level list, empty file.

The related entries retell the item's story (same subject words, other outlets, dates
within three days), as in the real data.

At the end one line is printed: files written, broken files, total bytes, seconds (not
counting the removal done by ``--clean``).  Generation is single-threaded pure Python (about
15-20 s per 100,000 files); a writer thread creates the files meanwhile, so a 100,000-file
corpus (about 355 MB) takes roughly 25-40 s on a quiet 2-core machine, more when the disk is
busy (creating files is mostly kernel time).
"""

import argparse
import base64
import hashlib
import random
import re
import shutil
import sys
import time
from bisect import bisect
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from json.encoder import encode_basestring
from pathlib import Path
from typing import NamedTuple, TypeVar

T = TypeVar("T")

MARKER = ".feeds-bench-corpus"
FILES_PER_DIR = 1000
BROKEN_KINDS = ("unclosed", "yaml-error", "top-level-list", "empty")
WRITER_THREADS = 1  # one core generates, one creates files; more writers contend
WRITE_BATCH = 200  # files per job handed to a writer thread
MAX_PENDING_BATCHES = 50

_START = 1546300800  # 2019-01-01T00:00:00Z
_END = 1798761540  # 2026-12-31T23:59:00Z
_OLD_END = 1609459140  # 2020-12-31T23:59:00Z, for records without quality
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True, slots=True)
class Provider:
    """A news site: plain-scalar name, registrable domain, host and URL templates."""

    name: str
    domain: str
    host: str
    path: str  # str.format template for the article path, see _url_values()
    amp: str = ""  # template of the AMP page path, "" if the site has none
    logo: bool = False  # provider carries an images list with its 50x50 logo
    img_host: str = ""  # host serving the article images ("" = same host)
    amp_host: str = ""  # host serving the AMP pages ("" = same host)


PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "Medical Xpress",
        "medicalxpress.com",
        "medicalxpress.com",
        "news/{y}-{m}-{short}.html",
        "news/{y}-{m}-{short}.amp",
        img_host="scx2.b-cdn.net",
    ),
    Provider(
        "Tech Xplore",
        "techxplore.com",
        "techxplore.com",
        "news/{y}-{m}-{short}.html",
        "news/{y}-{m}-{short}.amp",
        img_host="scx2.b-cdn.net",
    ),
    Provider(
        "Phys.org",
        "phys.org",
        "phys.org",
        "news/{y}-{m}-{short}.html",
        "news/{y}-{m}-{short}.amp",
        img_host="scx2.b-cdn.net",
    ),
    Provider(
        "News Medical",
        "news-medical.net",
        "www.news-medical.net",
        "news/{y}{m}{d}/{Slug}.aspx",
        "amp/news/{y}{m}{d}/{Slug}.aspx",
    ),
    Provider(
        "AZoRobotics",
        "azorobotics.com",
        "www.azorobotics.com",
        "News.aspx?newsID={id5}",
        "amp/News.aspx?newsID={id5}",
    ),
    Provider("EurekAlert!", "eurekalert.org", "www.eurekalert.org", "news-releases/{id6}"),
    Provider("IET", "theiet.org", "eandt.theiet.org", "content/articles/{y}/{m}/{slug}/"),
    Provider("The Engineer", "theengineer.co.uk", "www.theengineer.co.uk", "content/news/{slug}"),
    Provider(
        "Business Insider",
        "businessinsider.com",
        "markets.businessinsider.com",
        "news/stocks/{slug}-{id10}",
        logo=True,
    ),
    Provider("Analytics", "healthitanalytics.com", "healthitanalytics.com", "news/{slug}"),
    Provider(
        "technologynetworks",
        "technologynetworks.com",
        "www.technologynetworks.com",
        "tn/news/{slug}-{id6}",
        "tn/news/amp/{slug}-{id6}",
        img_host="assets.technologynetworks.com",
    ),
    Provider(
        "Sify.com",
        "sify.com",
        "www.sify.com",
        "news/{slug}-news-{section}-{hex12}.html",
        "news/{slug}-news-{section}-{hex12}.html",
    ),
    Provider(
        "Middle East North Africa Financial Network", "menafn.com", "menafn.com", "{id10}/{Slug}"
    ),
    Provider("Associated Press", "apnews.com", "apnews.com", "article/{slug}-{hex32}", logo=True),
    Provider(
        "VentureBeat",
        "venturebeat.com",
        "venturebeat.com",
        "{y}/{m}/{d}/{slug}/",
        "{y}/{m}/{d}/{slug}/amp/",
        logo=True,
    ),
    Provider(
        "TechCrunch",
        "techcrunch.com",
        "techcrunch.com",
        "{y}/{m}/{d}/{slug}/",
        "{y}/{m}/{d}/{slug}/amp/",
        logo=True,
    ),
    Provider(
        "The Verge",
        "theverge.com",
        "www.theverge.com",
        "{y}/{m}/{d}/{id8}/{slug}",
        img_host="cdn.vox-cdn.com",
    ),
    Provider("Wired", "wired.com", "www.wired.com", "story/{slug}/", logo=True),
    Provider(
        "ZDNet", "zdnet.com", "www.zdnet.com", "article/{slug}/", "google-amp/article/{slug}/"
    ),
    Provider(
        "Forbes",
        "forbes.com",
        "www.forbes.com",
        "sites/{author}/{y}/{m}/{d}/{slug}/",
        "sites/{author}/{y}/{m}/{d}/{slug}/amp/",
        logo=True,
        img_host="imageio.forbes.com",
    ),
    Provider(
        "Reuters", "reuters.com", "www.reuters.com", "technology/{slug}-{y}-{m}-{d}/", logo=True
    ),
    Provider(
        "The Guardian",
        "theguardian.com",
        "www.theguardian.com",
        "technology/{y}/{mon}/{d}/{slug}",
        "technology/{y}/{mon}/{d}/{slug}",
        img_host="i.guim.co.uk",
        amp_host="amp.theguardian.com",
    ),
    Provider(
        "BBC News",
        "bbc.co.uk",
        "www.bbc.co.uk",
        "news/technology-{id8}",
        "news/amp/technology-{id8}",
        img_host="ichef.bbci.co.uk",
    ),
    Provider(
        "CNBC",
        "cnbc.com",
        "www.cnbc.com",
        "{y}/{m}/{d}/{slug}.html",
        "amp/{y}/{m}/{d}/{slug}.html",
        logo=True,
    ),
    Provider(
        "MIT Technology Review",
        "technologyreview.com",
        "www.technologyreview.com",
        "{y}/{m}/{d}/{id7}/{slug}/",
        "{y}/{m}/{d}/{id7}/{slug}/amp/",
    ),
    Provider(
        "ScienceDaily",
        "sciencedaily.com",
        "www.sciencedaily.com",
        "releases/{y}/{m}/{y}{m}{d}{hh}.htm",
    ),
    Provider(
        "Fierce Healthcare",
        "fiercehealthcare.com",
        "www.fiercehealthcare.com",
        "tech/{slug}",
        "tech/{slug}?amp",
    ),
    Provider(
        "Healthcare IT News", "healthcareitnews.com", "www.healthcareitnews.com", "news/{slug}"
    ),
    Provider(
        "Engadget",
        "engadget.com",
        "www.engadget.com",
        "{slug}-{id8}.html",
        "amp/{slug}-{id8}.html",
        img_host="s.yimg.com",
    ),
    Provider(
        "Ars Technica",
        "arstechnica.com",
        "arstechnica.com",
        "{section}/{y}/{m}/{slug}/",
        "{section}/{y}/{m}/{slug}/amp/",
    ),
    Provider("IEEE Spectrum", "ieee.org", "spectrum.ieee.org", "{slug}"),
    Provider(
        "Nature",
        "nature.com",
        "www.nature.com",
        "articles/d41586-{yy}-{id5}-{d1}",
        img_host="media.nature.com",
    ),
    Provider(
        "New Scientist",
        "newscientist.com",
        "www.newscientist.com",
        "article/{id7}-{slug}/",
        logo=True,
        img_host="images.newscientist.com",
    ),
    Provider(
        "Fortune", "fortune.com", "fortune.com", "{y}/{m}/{d}/{slug}/", "{y}/{m}/{d}/{slug}/amp/"
    ),
    Provider("Axios", "axios.com", "www.axios.com", "{y}/{m}/{d}/{slug}"),
    Provider(
        "PR Newswire",
        "prnewswire.com",
        "www.prnewswire.com",
        "news-releases/{slug}-{id9}.html",
        img_host="mma.prnewswire.com",
    ),
    Provider(
        "Business Wire",
        "businesswire.com",
        "www.businesswire.com",
        "news/home/{y}{m}{d}00{id5}/en/{Slug}",
        img_host="mms.businesswire.com",
    ),
    Provider(
        "GlobeNewswire",
        "globenewswire.com",
        "www.globenewswire.com",
        "news-release/{y}/{m}/{d}/{id7}/0/en/{Slug}.html",
    ),
    Provider(
        "Yahoo Finance",
        "yahoo.com",
        "finance.yahoo.com",
        "news/{slug}-{hh}{id6}.html",
        "amphtml/news/{slug}-{hh}{id6}.html",
        img_host="s.yimg.com",
    ),
    Provider(
        "The Hindu",
        "thehindu.com",
        "www.thehindu.com",
        "sci-tech/technology/{slug}/article{id8}.ece",
        "sci-tech/technology/{slug}/article{id8}.ece/amp/",
    ),
    Provider(
        "Times of India",
        "indiatimes.com",
        "timesofindia.indiatimes.com",
        "gadgets-news/{slug}/articleshow/{id8}.cms",
        "gadgets-news/{slug}/amp_articleshow/{id8}.cms",
        img_host="static.toiimg.com",
    ),
    Provider(
        "Analytics India Magazine",
        "analyticsindiamag.com",
        "analyticsindiamag.com",
        "{slug}/",
        "{slug}/amp/",
    ),
    Provider("KDnuggets", "kdnuggets.com", "www.kdnuggets.com", "{y}/{m}/{slug}.html"),
    Provider(
        "Towards Data Science",
        "towardsdatascience.com",
        "towardsdatascience.com",
        "{slug}-{hex12}",
        img_host="miro.medium.com",
    ),
    Provider("The Robot Report", "therobotreport.com", "www.therobotreport.com", "{slug}/"),
    Provider(
        "Digital Trends",
        "digitaltrends.com",
        "www.digitaltrends.com",
        "news/{slug}/",
        "news/{slug}/?amp",
    ),
    Provider(
        "Silicon Republic", "siliconrepublic.com", "www.siliconrepublic.com", "machines/{slug}"
    ),
    Provider("Gizmodo", "gizmodo.com", "gizmodo.com", "{slug}-{id10}", "{slug}-{id10}/amp"),
    Provider(
        "Digital Journal",
        "digitaljournal.com",
        "www.digitaljournal.com",
        "pr/news/{slug}?utm_source=rss&utm_medium=feed&utm_campaign={section}",
    ),
    Provider(
        "Healthcare Dive", "healthcaredive.com", "www.healthcaredive.com", "news/{slug}/{id6}/"
    ),
    Provider("Slashdot", "slashdot.org", "tech.slashdot.org", "story/{yy}/{m}/{d}/{id7}/{slug}"),
    Provider("Nikkei Asia", "nikkei.com", "asia.nikkei.com", "Business/Technology/{Slug}"),
)
VIDEO_PROVIDER = Provider(
    "YouTube", "youtube.com", "www.youtube.com", "watch?v={vid}", img_host="i.ytimg.com"
)
# A few big outlets carry most of the items, as in the real data.
PROVIDER_CUM: tuple[float, ...] = tuple(
    accumulate(1.0 / (1 + i % 17) ** 0.7 for i in range(len(PROVIDERS)))
)

# (name, relative weight); texts are themed on the first topic via TECH and TARGETS
TOPICS: tuple[tuple[str, float], ...] = (
    ("AI", 30.0),
    ("Machine Learning", 14.0),
    ("Deep Learning", 8.0),
    ("AI in Healthcare", 9.0),
    ("Robotics", 7.0),
    ("Computer Vision", 5.0),
    ("Natural Language Processing", 5.0),
    ("Generative AI", 8.0),
    ("Autonomous Vehicles", 4.0),
    ("AI Ethics", 3.0),
    ("AI Regulation", 3.0),
    ("AI in Finance", 3.0),
    ("AI Chips", 3.0),
    ("Reinforcement Learning", 1.5),
    ("Chatbots", 4.0),
    ("Drones", 2.0),
    ("Quantum Computing", 2.0),
    ("AI in Education", 1.5),
    ("Cybersecurity", 3.0),
    ("Data Science", 2.0),
)
TOPIC_NAMES = tuple(t for t, _ in TOPICS)
TOPIC_CUM = tuple(accumulate(w for _, w in TOPICS))

_GENERIC_TECH = (
    "AI model",
    "machine learning tool",
    "artificial intelligence system",
    "deep learning algorithm",
    "neural network",
    "AI tool",
)
TECH: dict[str, tuple[str, ...]] = {
    "AI in Healthcare": (
        "AI-assisted digital twin",
        "deep learning tool",
        "AI model",
        "machine learning algorithm",
        "AI-powered stethoscope",
    ),
    "Robotics": (
        "soft robot",
        "robotic arm",
        "humanoid robot",
        "robot dog",
        "warehouse robot",
        "surgical robot",
    ),
    "Computer Vision": (
        "computer vision system",
        "image recognition model",
        "facial recognition software",
        "3D vision algorithm",
    ),
    "Natural Language Processing": (
        "language model",
        "speech recognition system",
        "translation engine",
        "text classifier",
    ),
    "Generative AI": (
        "generative AI tool",
        "large language model",
        "image generator",
        "text-to-video model",
        "AI assistant",
    ),
    "Autonomous Vehicles": (
        "self-driving car",
        "robotaxi",
        "autonomous truck",
        "driver-assistance system",
        "lidar sensor",
    ),
    "AI Chips": ("AI chip", "neuromorphic processor", "GPU", "AI accelerator"),
    "Chatbots": ("chatbot", "virtual assistant", "conversational AI", "customer-service bot"),
    "Drones": ("delivery drone", "autonomous drone", "drone swarm"),
    "Quantum Computing": ("quantum computer", "quantum algorithm", "qubit processor"),
    "Cybersecurity": ("AI-driven threat detector", "anomaly detection system", "deepfake detector"),
    "Reinforcement Learning": ("reinforcement learning agent", "self-learning AI"),
}
TARGETS: dict[str, tuple[str, ...]] = {
    "AI in Healthcare": (
        "bone fractures in cancer patients",
        "brain metastasis in lung cancer patients",
        "a woman's risk of breast cancer",
        "sepsis in ICU patients",
        "heart failure years in advance",
        "Alzheimer's disease from speech",
        "diabetic retinopathy",
        "skin cancer from smartphone photos",
        "hospital readmissions",
        "radiographic damage in rheumatoid arthritis",
        "recurring tumors on post-operative MRI scans",
    ),
    "Robotics": (
        "packages in warehouses",
        "delicate fruit",
        "patients after strokes",
        "objects it has never seen",
        "stairs and rough terrain",
    ),
    "Computer Vision": (
        "pedestrians at night",
        "defects on assembly lines",
        "wildlife in camera-trap images",
        "shoplifters",
        "crop diseases from the air",
    ),
    "Natural Language Processing": (
        "hate speech online",
        "medical records",
        "legal contracts",
        "endangered languages",
        "customer complaints",
    ),
    "Generative AI": (
        "marketing copy",
        "protein structures",
        "software code",
        "news summaries",
        "photorealistic images",
        "music",
    ),
    "Autonomous Vehicles": ("city traffic", "highway lane changes", "cyclists", "snowy roads"),
    "AI in Finance": (
        "credit card fraud",
        "stock market crashes",
        "loan defaults",
        "money laundering",
    ),
    "Cybersecurity": (
        "phishing emails",
        "ransomware attacks",
        "deepfake videos",
        "network intrusions",
    ),
}
_GENERIC_TARGETS = (
    "climate change",
    "extreme weather",
    "earthquakes",
    "traffic jams",
    "new materials",
    "energy use in data centers",
    "crop yields",
    "fake news",
    "wildfires",
    "supply chain delays",
    "student dropout",
)
FIELDS = (
    "healthcare",
    "drug discovery",
    "radiology",
    "manufacturing",
    "retail",
    "banking",
    "education",
    "agriculture",
    "logistics",
    "cybersecurity",
    "climate research",
    "autonomous driving",
    "customer service",
    "journalism",
    "law enforcement",
)
VERBS = (
    ("predict", "predicts"),
    ("detect", "detects"),
    ("spot", "spots"),
    ("diagnose", "diagnoses"),
    ("identify", "identifies"),
    ("forecast", "forecasts"),
    ("track", "tracks"),
    ("flag", "flags"),
)
ORGS = (
    "Ohio State University",
    "MIT",
    "Stanford University",
    "Case Western Reserve University",
    "Massachusetts General Hospital",
    "the University of Cambridge",
    "ETH Zurich",
    "Carnegie Mellon University",
    "the University of Tokyo",
    "Imperial College London",
    "UC Berkeley",
    "Johns Hopkins University",
    "the Mayo Clinic",
    "Tsinghua University",
    "the University of Toronto",
    "KAIST",
    "the Max Planck Institute",
    "Oxford University",
)
COMPANIES = (
    "Google",
    "Microsoft",
    "OpenAI",
    "Nvidia",
    "IBM",
    "Meta",
    "Amazon",
    "Apple",
    "Baidu",
    "Samsung",
    "Intel",
    "DeepMind",
    "Anthropic",
    "Tesla",
    "Siemens",
    "Philips",
    "Salesforce",
    "Alibaba",
    "Boston Dynamics",
    "Hugging Face",
)
JOURNALS = (
    "Nature",
    "Science",
    "The Lancet Digital Health",
    "JAMA Network Open",
    "Nature Machine Intelligence",
    "Radiology",
    "PLOS ONE",
    "Science Robotics",
    "npj Digital Medicine",
    "Cell Reports Medicine",
)
NATIONALITIES = (
    "US",
    "UK",
    "German",
    "Japanese",
    "Chinese",
    "Canadian",
    "Swiss",
    "Australian",
    "Korean",
    "Indian",
)
AUTHORS = ("bernardmarr", "robtoews", "forbestechcouncil", "johnkoetsier", "cognitiveworld")
SECTIONS = ("science", "gadgets", "tech-news", "information-technology", "education", "cars")
IMAGE_SIZES = (
    (1200, 675),
    (620, 480),
    (640, 360),
    (1440, 1920),
    (940, 627),
    (400, 400),
    (1000, 667),
    (1280, 1024),
    (700, 450),
    (2880, 1916),
    (690, 400),
    (400, 267),
    (1920, 1080),
    (800, 533),
    (1024, 576),
)

TITLE_TEMPLATES = (
    "{Tech} can {verb} {target}",
    "{Org} researchers use {tech} to {verb} {target}",
    "New {tech} {verbs} {target} with {pct}% accuracy",
    "How {tech} could help {verb} {target}",
    "{Company} unveils {tech} for {field}",
    "{Company} invests ${amt} million in {field} startup",
    "Study: {tech} {verbs} {target} better than experts",
    "Why {field} needs a better {tech}",
    "{Company}'s new {tech} aims to {verb} {target}",
    "Scientists develop {tech} to {verb} {target}",
    "Opinion: the \u201c{field}\u201d hype is {adj}",
    "{Company} and {org} partner on {field} research",
    "Q&A: What {a_tech} can \u2013 and can't \u2013 do for {field}",
    "The #1 mistake companies make with {field} AI",
    "{Tech} {verbs} {target}, {org} study finds",
)
VIDEO_TITLE_TEMPLATES = (
    "Watch: {tech} {verbs} {target}",
    "Video: {Company} demos {tech} for {field}",
    "{Tech} explained in {n} minutes",
)
EXCERPT_SENTENCES = (
    "Researchers at {org} have developed {a_tech} that can {verb} {target}, according to a "
    "study published in {journal}.",
    "A team of {nat} researchers has used {tech} to {verb} {target}.",
    "As {field} continues to embrace machine learning, a new study suggests how scientists "
    "may use artificial intelligence to {verb} {target}.",
    "{Company} said on {weekday} it would spend ${amt} million over the next {n} years on "
    "{field}, a move analysts say could reshape the industry.",
    "The {tech} was trained on more than {big} examples and outperformed {n} human experts.",
    "Physicians and engineers face a conundrum: choosing tools that are helpful yet opaque, "
    "or simpler methods that are easier to explain.",
    "The findings could help {field} teams {verb} {target} earlier and at lower cost.",
    "Critics warn that the {tech} has not yet been tested outside the lab.",
    "\u201cThis is a big step forward,\u201d said a spokesperson for {org}.",
    "The company's shares rose {pct}% in early trading on {weekday}.",
    "It is the latest sign that {field} is becoming a testing ground for AI.",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
ADJECTIVES = ("overblown", "justified", "only beginning", "a distraction", "here to stay")
BODY_PARAGRAPHS = (
    "Editor's note: this item was imported from the legacy archive.",
    "Summary: the article discusses {field} and the {tech}.",
    "> Quote from the original press release about {target}.",
)

_SAFE_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .!'&()-]*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan"})
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@cache
def plain(value: str) -> str:
    """Emit a scalar unquoted if that is safe YAML (as the real files do), else quoted."""
    if _SAFE_PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS and value[-1] != " ":
        return value
    return quote(value)


def quote(value: str) -> str:
    """Emit a YAML double-quoted scalar (a JSON string, raw UTF-8 like the real files).

    ``json.dumps(value, ensure_ascii=False)`` without its per-call overhead.  JSON escapes
    (``\\"``, ``\\\\``, ``\\n``, ``\\uXXXX``) are valid YAML escapes; the vocabulary has
    no characters outside the BMP, so no surrogate pairs can appear.
    """
    return encode_basestring(value)


def slug(text: str, words: int = 0) -> str:
    """Lower-case ASCII slug; the first ``words`` words only when ``words`` > 0."""
    parts = _NON_WORD.sub(" ", text.replace("'", "")).lower().split()
    if words:
        parts = parts[:words]
    return "-".join(parts)


def title_slug(text: str) -> str:
    """Case-keeping slug; non-ASCII letters become their UTF-8 hex (news-medical style)."""
    text = _NON_ASCII.sub(lambda m: m.group().encode("utf-8").hex(), text)
    return "-".join(_NON_WORD.sub(" ", text).split())


def iso(ts: int) -> str:
    """Format a Unix timestamp the way the seeds do: 2022-05-06T12:29:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(ts))


def cdn_amp(url: str) -> str:
    """The Google AMP cache URL of an AMP page."""
    rest = url.split("://", 1)[1]
    host = rest.split("/", 1)[0]
    return f"https://{host.replace('-', '--').replace('.', '-')}.cdn.ampproject.org/c/s/{rest}"


class Story(NamedTuple):
    """Title, excerpt and the words used to build them (shared with the related stories)."""

    title: str
    excerpt: str
    words: dict[str, str]


class Urls(NamedTuple):
    """Canonical and AMP URLs of one article."""

    web: str
    amp: str  # "" when there is no AMP page


class Item(NamedTuple):
    """What a later duplicate needs from an earlier item."""

    provider: Provider
    urls: Urls
    title: str


class UrlValues(dict[str, str]):
    """The fields of a provider's URL templates, computed only when a template uses them.

    ``n`` is a 128-bit random number all numeric ids and hashes are cut from, so the number of
    random draws does not depend on the template.
    """

    def __init__(self, n: int, title: str, ts: int) -> None:
        super().__init__()
        self.n, self.title, self.tm = n, title, time.gmtime(ts)

    def __missing__(self, key: str) -> str:
        n, tm = self.n, self.tm
        match key:
            case "y":
                v = str(tm.tm_year)
            case "yy":
                v = f"{tm.tm_year % 100:02d}"
            case "m":
                v = f"{tm.tm_mon:02d}"
            case "d":
                v = f"{tm.tm_mday:02d}"
            case "mon":
                v = _MONTHS[tm.tm_mon - 1]
            case "hh":
                v = f"{tm.tm_hour:02d}"
            case "slug":
                v = slug(self.title)
            case "short":
                v = slug(self.title, 6)
            case "Slug":
                v = title_slug(self.title)
            case "d1":
                v = str(n % 10)
            case "hex12":
                v = f"{n:032x}"[:12]
            case "hex32":
                v = f"{n:032x}"
            case "vid":
                v = base64.urlsafe_b64encode(n.to_bytes(16, "big")).decode()[:11]
            case "author":
                v = AUTHORS[n % len(AUTHORS)]
            case "section":
                v = SECTIONS[n % len(SECTIONS)]
            case _ if key.startswith("id"):  # id5 ... id10: that many digits, no leading 0
                digits = int(key[2:])
                v = str(10 ** (digits - 1) + n % (9 * 10 ** (digits - 1)))
            case _:
                raise KeyError(key)
        self[key] = v
        return v


class Generator:
    """Draws all random values from one ``random.Random`` so output is reproducible."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.seen_urls: set[str] = set()
        self.items: list[Item] = []

    # random.Random's choice/randint/choices are exact but slow; these float-based shortcuts
    # are ~5x faster, just as deterministic, and their bias (< 1e-13) does not matter here.

    def pick(self, seq: Sequence[T]) -> T:
        """One element of ``seq``, uniformly."""
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        """An integer in ``a..b`` (both included)."""
        return a + int(self.random() * (b - a + 1))

    def weighted(self, seq: Sequence[T], cum_weights: Sequence[float]) -> T:
        """One element of ``seq``, drawn with cumulative weights ``cum_weights``."""
        return seq[bisect(cum_weights, self.random() * cum_weights[-1])]

    # -- words -------------------------------------------------------------------------------

    def words(self, topic: str) -> dict[str, str]:
        tech = self.pick(TECH.get(topic, _GENERIC_TECH) if self.random() < 0.75 else _GENERIC_TECH)
        target = self.pick(
            TARGETS.get(topic, _GENERIC_TARGETS) if self.random() < 0.8 else _GENERIC_TARGETS
        )
        verb, verbs = self.pick(VERBS)
        org = self.pick(ORGS)
        return {
            "tech": tech,
            "Tech": tech[0].upper() + tech[1:],
            "target": target,
            "a_tech": ("an " if tech[0] in "aeiouAEIOU" else "a ") + tech,
            "verb": verb,
            "verbs": verbs,
            "org": org,
            "Org": org[0].upper() + org[1:],
            "Company": self.pick(COMPANIES),
            "field": self.pick(FIELDS),
            "journal": self.pick(JOURNALS),
            "nat": self.pick(NATIONALITIES),
            "weekday": self.pick(WEEKDAYS),
            "adj": self.pick(ADJECTIVES),
            "pct": str(self.randint(2, 99)),
            "amt": str(self.pick((5, 10, 20, 50, 100, 250, 500))),
            "n": str(self.randint(2, 12)),
            "big": f"{self.randint(1, 900) * 1000:,}",
        }

    def unicode_noise(self, text: str) -> str:
        """Curly apostrophes in ~30 % of texts, mojibake in ~2 %, as in the real data."""
        x = self.rng.random()
        if x < 0.02:
            return text.replace("'", "\u00e2\u20ac\u2122")
        if x < 0.32:
            return text.replace("'", "\u2019")
        return text

    def story(self, topic: str, video: bool, w: dict[str, str] | None = None) -> Story:
        if w is None:
            w = self.words(topic)
        template = self.pick(VIDEO_TITLE_TEMPLATES if video else TITLE_TEMPLATES)
        title = self.unicode_noise(template.format_map(w))
        want = self.randint(110, 380)
        sentences: list[str] = []
        length = 0
        while length < want and len(sentences) < len(EXCERPT_SENTENCES):
            s = self.pick(EXCERPT_SENTENCES).format_map(w)
            if s not in sentences:
                sentences.append(s)
                length += len(s) + 1
        excerpt = " ".join(sentences)
        if len(excerpt) > 300 and self.random() < 0.5:  # truncated like the real feed does
            excerpt = excerpt[:255].rsplit(" ", 1)[0] + " ..."
        elif len(excerpt) > 400:
            excerpt = excerpt[:400].rsplit(" ", 1)[0].rstrip(",.;:") + ","
        excerpt = self.unicode_noise(excerpt)
        return Story(title, excerpt, w)

    # -- URLs and images ---------------------------------------------------------------------

    def urls(self, provider: Provider, title: str, ts: int) -> Urls:
        v = UrlValues(self.rng.getrandbits(128), title, ts)
        amp = (
            f"https://{provider.amp_host or provider.host}/{provider.amp.format_map(v)}"
            if provider.amp
            else ""
        )
        return Urls(f"https://{provider.host}/{provider.path.format_map(v)}", amp)

    def image(self, provider: Provider, ts: int, title: str) -> tuple[str, int, int]:
        r = self.rng
        tm = time.gmtime(ts)
        host = provider.img_host or provider.host
        kind = int(self.random() * 5)
        if kind == 0:
            name = f"shutterstock_{self.randint(10**8, 10**10)}.jpg"
        elif kind == 1:
            name = f"GettyImages-{self.randint(10**8, 10**10)}.jpg"
        elif kind == 2:
            name = f"AdobeStock_{self.randint(10**7, 10**9)}.jpeg"
        elif kind == 3:
            name = f"{slug(title, 3) or 'image'}.jpg"
        else:
            name = f"{r.getrandbits(48):012x}_{self.randint(1, 9)}.png"
        if provider is VIDEO_PROVIDER:
            url = f"https://{host}/vi/{r.getrandbits(40):010x}/hqdefault.jpg"
        elif self.random() < 0.1:  # an encoded query string, like news-medical's image.axd
            url = f"https://{host}/image.axd?picture={tm.tm_year}%2f{tm.tm_mon}%2f{name}"
        else:
            url = f"https://{host}/gfx/news/hires/{tm.tm_year}/{tm.tm_mon:02d}/{name}"
        w, h = self.pick(IMAGE_SIZES)
        return url, w, h

    # -- one document ------------------------------------------------------------------------

    def topics(self) -> list[str]:
        k = self.weighted((1, 2, 3), (45, 85, 100))
        picked: list[str] = []
        while len(picked) < k:
            t = self.weighted(TOPIC_NAMES, TOPIC_CUM)
            if t not in picked:
                picked.append(t)
        if "AI" in picked and picked[-1] != "AI" and self.random() < 0.8:
            picked.remove("AI")  # the real seeds list the broad "AI" last
            picked.append("AI")
        return picked

    def fresh_urls(self, provider: Provider, title: str, ts: int) -> Urls:
        for attempt in range(20):
            u = self.urls(provider, title, ts)
            if u.web not in self.seen_urls:
                return u
            ts += 60 * (attempt + 1)
        u = self.urls(provider, title, ts)
        sep = "&" if "?" in u.web else "?"
        return Urls(f"{u.web}{sep}v={len(self.seen_urls)}", u.amp)

    def document(self) -> tuple[str, str]:
        """Return (file-name hex, text) of the next item."""
        r = self.rng
        old = self.random() < 0.02  # older record: no quality / published
        minutes = ((_OLD_END if old else _END) - _START) // 60
        ts = _START + 60 * int(self.random() * minutes)
        video = self.random() < 0.07
        provider = (
            VIDEO_PROVIDER
            if video and self.random() < 0.5
            else self.weighted(PROVIDERS, PROVIDER_CUM)
        )
        topics = self.topics()
        story = self.story(topics[0], video)
        title = story.title
        if self.items and self.random() < 0.005:  # duplicate: reuse an earlier item's URL
            prev = self.pick(self.items)
            provider, urls = prev.provider, prev.urls
            if self.random() < 0.5:
                title = prev.title
        else:
            urls = self.fresh_urls(provider, title, ts)
            self.seen_urls.add(urls.web)
        self.items.append(Item(provider, urls, title))

        out = [
            "---",
            "category: news",
            f"title: {quote(title)}",
            f"excerpt: {quote(story.excerpt)}",
            f"publishedDateTime: {iso(ts)}",
        ]
        if self.random() >= 0.05:
            out.append(f"originalUrl: {quote(urls.web)}")
        out.append(f"webUrl: {quote(urls.web)}")
        if urls.amp and self.random() < 0.4:
            out.append(f"ampWebUrl: {quote(urls.amp)}")
            out.append(f"cdnAmpWebUrl: {quote(cdn_amp(urls.amp))}")
        out.append(f"type: {'video' if video else 'article'}")
        quality = self.randint(0, 100)
        if not old:
            out.append(f"quality: {quality}")
        out.append("heat: -1")
        if not old:
            out.append(f"published: {'true' if quality >= 60 else 'false'}")
        out += [
            "",
            "provider:",
            f"  name: {plain(provider.name)}",
            f"  domain: {plain(provider.domain)}",
        ]
        if provider.logo:
            out += [
                "  images:",
                "    - url: "
                + quote(
                    "https://everyday-cc.github.io/ai/assets/images/"
                    f"organizations/{provider.domain}-50x50.jpg"
                ),
                "      width: 50",
                "      height: 50",
            ]
        out += ["", "topics:"]
        out += [f"  - {plain(t)}" for t in topics]
        n_images = self.weighted((0, 1, 2), (25, 85, 100))
        if n_images:
            out += ["", "images:"]
            for _ in range(n_images):
                url, w, h = self.image(provider, ts, title)
                out += [
                    f"  - url: {quote(url)}",
                    f"    width: {w}",
                    f"    height: {h}",
                    f"    isCached: {'true' if self.random() < 0.9 else 'false'}",
                ]
        n_related = self.randint(0, 5)
        if n_related:
            out += ["", "related:"]
            for _ in range(n_related):
                out += self.related(story.words, ts)
        else:
            out += ["", "related: []"]  # as the real records say "none" (a flow empty)
        cipher = base64.b64encode(r.randbytes(16 * self.randint(12, 30))).decode()
        iv = base64.b64encode(r.randbytes(16)).decode()
        out += ["", f'secured: "{cipher};{iv}"', "---", ""]
        if self.random() < 0.03:
            body = [
                p.format_map(story.words)
                for p in r.sample(BODY_PARAGRAPHS, self.randint(1, len(BODY_PARAGRAPHS)))
            ]
            if self.random() < 0.3:
                body.insert(1, "---")  # a Markdown rule: only the first two --- count
            out += ["\n\n".join(body)]
        out.append("")
        name_hex = hashlib.sha1(urls.web.encode()).hexdigest()[:16]
        return name_hex, "\n".join(out)

    def related(self, words: dict[str, str], ts: int) -> list[str]:
        """One related entry: the same story, told by another outlet around the same time."""
        video = self.random() < 0.05
        provider = self.weighted(PROVIDERS, PROVIDER_CUM)
        rts = max(_START, ts + 60 * self.randint(-3 * 1440, 3 * 1440))
        story = self.story("", video, words)
        urls = self.urls(provider, story.title, rts)
        out = [
            f"  - title: {quote(story.title)}",
            f"    excerpt: {quote(story.excerpt)}",
            f"    publishedDateTime: {iso(rts)}",
            f"    webUrl: {quote(urls.web)}",
        ]
        if urls.amp and self.random() < 0.7:
            out += [
                f"    ampWebUrl: {quote(urls.amp)}",
                f"    cdnAmpWebUrl: {quote(cdn_amp(urls.amp))}",
            ]
        out += [
            f"    type: {'video' if video else 'article'}",
            "    provider:",
            f"      name: {plain(provider.name)}",
            f"      domain: {plain(provider.domain)}",
            f"    quality: {self.randint(0, 100)}",
        ]
        if self.random() < 0.8:
            url, w, h = self.image(provider, rts, story.title)
            out += [
                "    images:",
                f"      - url: {quote(url)}",
                f"        width: {w}",
                f"        height: {h}",
                f"        isCached: {'true' if self.random() < 0.9 else 'false'}",
            ]
        return out


def break_document(text: str, kind: str) -> str:
    """Turn a good seed into a broken one of the given kind."""
    front = text[: text.index("\n---\n") + 1]  # "---\n...secured: ...\n", no body
    if kind == "unclosed":
        return front
    if kind == "yaml-error":  # an unescaped double quote inside the title
        lines = front.split("\n")
        words = lines[2][len('title: "') : -1].split(" ")
        words[len(words) // 2] = f'"{words[len(words) // 2]}"'
        lines[2] = 'title: "' + " ".join(words) + '"'
        return "\n".join(lines) + "---\n\n"
    if kind == "top-level-list":
        lines = front.split("\n")[1:-1]
        body = ["- " + lines[0]] + [("  " + x) if x else x for x in lines[1:]]
        return "---\n" + "\n".join(body) + "\n---\n\n"
    return ""  # empty


def write_files(batch: list[tuple[str, bytes]]) -> None:
    """Write each (path, data) pair with a plain open().write."""
    for path, data in batch:
        with open(path, "wb") as fh:
            fh.write(data)


def prepare_dir(root: Path, clean: bool) -> None:
    """Create ``root``; with ``clean`` remove an earlier corpus made by this script."""
    if root.exists() and any(root.iterdir()):
        if not clean:
            sys.exit(f"error: {root} exists and is not empty (use --clean to replace a corpus)")
        if not (root / MARKER).is_file():
            sys.exit(
                f"error: refusing to remove {root}: no {MARKER} marker, "
                "it was not made by this script"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write N synthetic seed documents into DIR (1000 per subfolder)."
    )
    parser.add_argument("n", metavar="N", type=int, help="number of seed files")
    parser.add_argument("dir", metavar="DIR", type=Path, help="output folder")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--clean",
        action="store_true",
        help=f"remove DIR first (only if it holds a {MARKER} marker)",
    )
    parser.add_argument(
        "--broken-rate", type=float, default=0.001, help="fraction of broken files (default 0.001)"
    )
    args = parser.parse_args(argv)
    if args.n < 0 or not 0.0 <= args.broken_rate <= 1.0:
        parser.error("N must be >= 0 and --broken-rate within 0..1")

    root: Path = args.dir
    prepare_dir(root, args.clean)
    started = time.perf_counter()  # not counting the removal of an old corpus
    (root / MARKER).write_text(
        f"made by bench/make_corpus.py n={args.n} seed={args.seed} "
        f"broken_rate={args.broken_rate}\n",
        encoding="utf-8",
    )

    picker = random.Random(f"broken-{args.seed}")
    broken_idx = sorted(picker.sample(range(args.n), round(args.n * args.broken_rate)))
    broken = {i: BROKEN_KINDS[k % len(BROKEN_KINDS)] for k, i in enumerate(broken_idx)}

    gen = Generator(args.seed)
    width = max(5, len(str(args.n - 1)))
    dir_width = max(3, len(str(max(args.n - 1, 0) // FILES_PER_DIR)))
    total = 0
    folder = root
    batch: list[tuple[str, bytes]] = []
    pending: deque[Future[None]] = deque()
    # Generating is pure Python, creating files is mostly kernel time (the GIL is released),
    # so a writer thread lets the two overlap.  The output does not depend on the threads.
    with ThreadPoolExecutor(max_workers=WRITER_THREADS) as pool:
        for i in range(args.n):
            if i % FILES_PER_DIR == 0:
                folder = root / f"{i // FILES_PER_DIR:0{dir_width}d}"
                folder.mkdir()
            name_hex, text = gen.document()
            if i in broken:
                text = break_document(text, broken[i])
            data = text.encode("utf-8")
            batch.append((f"{folder}/{i:0{width}d}_{name_hex}.txt", data))
            total += len(data)
            if len(batch) == WRITE_BATCH or i == args.n - 1:
                pending.append(pool.submit(write_files, batch))
                batch = []
                while len(pending) > MAX_PENDING_BATCHES:  # bound the memory held
                    pending.popleft().result()
        for future in pending:
            future.result()

    seconds = time.perf_counter() - started
    print(f"{args.n} files, {len(broken)} broken, {total} bytes, {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
