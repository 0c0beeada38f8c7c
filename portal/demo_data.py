"""What the demo data says: organisations, people, projects and site records that read true.

Everything is drawn from one `random.Random` in a fixed order and dated from a fixed base
time, so the same seed always plans the same records (only the random public ids differ).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from portal.vocabulary import ADMIN_ROLE, RECORD_KINDS

# Records are dated in the six months before this moment; never `now()`, so runs repeat.
BASE_TIME = datetime(2026, 11, 2, 17, 30)
SPAN_DAYS = 182
DEMO_PASSWORD = "sitepack-demo"


@dataclass(frozen=True)
class Person:
    org: str  # "A" or "B"
    email: str
    name: str
    role: str = "member"
    is_staff: bool = False


@dataclass(frozen=True)
class ProjectPlan:
    org: str
    name: str
    code: str
    address: str
    levels: int
    unit: str  # what the rooms on a level are called on this job
    share: int  # relative share of the records


ORGANISATIONS = {"A": "Northwind Construction", "B": "Bravo Civil"}
PEOPLE = (
    Person("A", "admin@northwind.test", "Alex Morgan", role=ADMIN_ROLE),
    Person("A", "member@northwind.test", "Jamie Patel"),
    Person("A", "ops@sitepack.test", "Robin Hale (Sitepack operations)", is_staff=True),
    Person("B", "member@bravo.test", "Chris Doyle"),
)
# fmt: off
PROJECTS = (
    ProjectPlan("A", "Riverside Medical Centre", "RMC", "Mill Lane, Leeds LS10 1AB",
                levels=5, unit="room", share=9),
    ProjectPlan("A", "Harbour Point Apartments", "HPA", "22 Quay Street, Bristol BS1 4DJ",
                levels=12, unit="apartment", share=8),
    ProjectPlan("B", "Eastgate Bus Depot", "EBD", "Eastgate Road, Peterborough PE1 5XG",
                levels=2, unit="unit", share=3),
)
# fmt: on


@dataclass(frozen=True)
class Template:
    """One kind of record a site team raises; placeholders are filled from the location."""

    kind: str
    trade: str
    title: str
    checklist: str  # a key of CHECKLISTS
    location: str = "Level {level}, {zone}, grid {grid}"


# fmt: off
TEMPLATES = (
    Template("inspection", "Concrete", "Level {level} slab pre-pour inspection", "pour"),
    Template("inspection", "Reinforcement", "Reinforcement to {element} at grid {grid}", "rebar"),
    Template("inspection", "Formwork", "Formwork and propping, level {level} {zone}", "formwork"),
    Template("inspection", "Blockwork", "Blockwork ties and movement joints, level {level}",
             "blockwork"),
    Template("inspection", "Fire protection", "Fire stopping at riser {riser}, level {level}",
             "fire", "Level {level}, riser {riser}"),
    Template("inspection", "Waterproofing", "Waterproofing to the wet room in {unit} {apt}",
             "waterproofing", "Level {level}, {unit} {apt}"),
    Template("inspection", "Drylining", "Partition framing before boarding, level {level}",
             "drylining"),
    Template("inspection", "Electrical", "First-fix electrical, level {level} {zone}",
             "electrical"),
    Template("inspection", "Plumbing", "Drainage stack {riser} air test", "plumbing",
             "Level {level}, riser {riser}"),
    Template("inspection", "Facade", "Curtain wall bracket fixings, {elevation} elevation",
             "facade", "Level {level}, {elevation} elevation"),
    Template("inspection", "Roofing", "Roof membrane laps and upstands, {roof}", "roofing",
             "Roof, {roof}"),
    Template("issue", "Blockwork", "Cracked blockwork at grid {grid}", "blockwork"),
    Template("issue", "Waterproofing", "Water ingress at window head, level {level} {zone}",
             "waterproofing"),
    Template("issue", "Concrete", "Honeycombing to column {grid}, level {level}", "pour"),
    Template("issue", "Drylining", "Damaged plasterboard in corridor, level {level}",
             "drylining"),
    Template("issue", "Electrical", "Exposed live cabling in riser {riser}", "electrical",
             "Level {level}, riser {riser}"),
    Template("issue", "Fire protection", "Missing fire collar at riser {riser}, level {level}",
             "fire", "Level {level}, riser {riser}"),
    Template("issue", "Plumbing", "Leaking joint on cold water riser, level {level}",
             "plumbing", "Level {level}, riser {riser}"),
    Template("issue", "Facade", "Scratched glazing unit, {elevation} elevation level {level}",
             "facade", "Level {level}, {elevation} elevation"),
    Template("issue", "Site safety", "Edge protection missing at level {level} slab edge",
             "safety"),
    Template("issue", "Mechanical", "Ductwork clashes with sprinkler main at grid {grid}",
             "general"),
    Template("issue", "Groundworks", "Standing water in lift pit {riser}", "general",
             "Basement, lift pit {riser}"),
    Template("task", "Site safety", "Install temporary edge protection, level {level} {zone}",
             "safety"),
    Template("task", "General", "Clean out stair core {riser} before handover", "general",
             "Stair core {riser}"),
    Template("task", "Facade", "Submit shop drawings for balcony balustrades", "facade",
             "Level {level}, {elevation} elevation"),
    Template("task", "Mechanical", "Coordinate ceiling void services, level {level} {zone}",
             "general"),
    Template("task", "Concrete", "Core drill for drainage at grid {grid}, level {level}", "pour"),
    Template("task", "Electrical", "Label distribution board DB-{level}{riser}", "electrical",
             "Level {level}, riser {riser}"),
    Template("task", "Plumbing", "Flush and chlorinate cold water system, level {level}",
             "plumbing"),
    Template("task", "Drylining", "Make good around services in {unit} {apt}", "drylining",
             "Level {level}, {unit} {apt}"),
    Template("ncr", "Concrete", "Concrete cover below specification at {element}", "pour"),
    Template("ncr", "Facade", "Incorrect fixings on facade brackets, {elevation} elevation",
             "facade", "Level {level}, {elevation} elevation"),
    Template("ncr", "Drylining", "Unapproved substitute partition insulation, level {level}",
             "drylining"),
    Template("ncr", "Reinforcement", "Short lap lengths on column starters at grid {grid}",
             "rebar"),
    Template("ncr", "Fire protection", "Intumescent coating below specified thickness",
             "fire"),
    Template("ncr", "Waterproofing", "Membrane laid without primer in {unit} {apt}",
             "waterproofing", "Level {level}, {unit} {apt}"),
    Template("ncr", "Concrete", "28-day cube results below strength for pour {pour}", "pour"),
)
# fmt: on

# Checklist lines per family: (label, what the inspector writes when it fails).
CHECKLISTS = {
    "pour": [
        ("Formwork clean and free of debris", "Timber offcuts and tie wire in the deck."),
        ("Cover to reinforcement checked", "Cover measured 25 mm against 40 mm specified."),
        ("Cast-in items and sleeves positioned", "Two sleeves missing at the riser."),
        ("Construction joints prepared", "Joint not scabbled; laitance still present."),
        ("Pour plan and sequence approved", "Pour plan not issued to the pump operator."),
        ("Concrete docket matches mix design", "Docket shows C32/40, C40/50 specified."),
        ("Edge protection in place", "Gap in edge protection on the east side."),
        ("Vibrators and spare on site", "Only one poker on site; spare requested."),
        ("Weather checked for curing", "Frost forecast; curing blankets not on site."),
    ],
    "rebar": [
        ("Bar sizes and spacing to schedule", "T16 at 200 found where T20 at 150 scheduled."),
        ("Lap lengths as detailed", "Laps measured 600 mm against 900 mm required."),
        ("Chairs and spacers fixed", "Spacers missing along the bottom mat."),
        ("Starter bars positioned", "Starters 40 mm out of position at the corner."),
        ("Bars clean, no loose rust or oil", "Release oil on bars near the kicker."),
        ("Tie wire ends turned in", "Tie wire tails within the cover zone."),
        ("Shear links closed", "Links not closed on two beams."),
        ("Bar schedule revision on site", "Site copy is rev B; rev C issued."),
    ],
    "formwork": [
        ("Props plumb and on sole plates", "Two props standing on soft ground."),
        ("Back-propping to levels below", "Back-props removed early on the level below."),
        ("Deck level within tolerance", "Deck 12 mm low at midspan."),
        ("Release agent applied", "Release agent not applied to the soffit panels."),
        ("Ties and clamps complete", "Missing clamps on the column formwork."),
        ("Temporary works certificate issued", "Certificate not yet signed by the TWC."),
        ("Access and edge protection", "Ladder not tied off."),
    ],
    "blockwork": [
        ("Wall ties at specified centres", "Ties at 900 mm where 450 mm required."),
        ("Movement joints formed", "Movement joint filled with mortar."),
        ("Mortar joints full and struck", "Perpends not filled in the top courses."),
        ("Head restraints fixed", "Head restraint channel not fixed to the slab."),
        ("Lintels have minimum bearing", "Lintel bearing 100 mm, 150 mm required."),
        ("Cavity clean and trays fitted", "Mortar droppings on the cavity tray."),
        ("Wall plumb and in line", "Wall 15 mm out of plumb over 2.4 m."),
    ],
    "fire": [
        ("Penetrations sealed with approved system", "Expanding foam used instead of sealant."),
        ("Fire collars on plastic pipes", "No collar on the 110 mm soil pipe."),
        ("Labels fixed at each seal", "Seals not labelled."),
        ("Cavity barriers continuous", "Gap in cavity barrier above the corridor."),
        ("Coating thickness readings recorded", "Readings 0.8 mm against 1.2 mm required."),
        ("Fire damper access clear", "Damper access panel blocked by pipework."),
        ("Installer's certificate provided", "Certificate outstanding from installer."),
    ],
    "waterproofing": [
        ("Substrate clean, dry and primed", "Substrate damp; moisture reading 6 %."),
        ("Upstands to specified height", "Upstand 100 mm, 150 mm required."),
        ("Laps and corners reinforced", "Corner reinforcement missing at the shower tray."),
        ("Outlets and penetrations sealed", "Puddle flange not bonded at the floor waste."),
        ("Flood test carried out for 24 h", "Water level dropped during the flood test."),
        ("Membrane protected from traffic", "Membrane damaged by a trade trolley."),
    ],
    "drylining": [
        ("Stud centres to specification", "Studs at 600 mm where 400 mm required."),
        ("Noggins for fixtures in place", "No noggins for the grab rails."),
        ("Insulation fitted without gaps", "Gaps in the acoustic insulation."),
        ("Services tested before closing", "Electrical test sheets not received."),
        ("Deflection head detail correct", "Deflection head screwed through the track."),
        ("Board type as specified", "Standard board used in the fire-rated wall."),
        ("Joints taped and filled", "Joints cracked at the door head."),
    ],
    "electrical": [
        ("Containment fixed and supported", "Tray supports over 1.5 m apart."),
        ("Cables segregated from other services", "Data cables tied to the power tray."),
        ("Back boxes at correct heights", "Switch boxes 200 mm low in two rooms."),
        ("Fire-rated clips on escape routes", "Plastic clips used in the escape corridor."),
        ("Circuits labelled at the board", "Board schedule not filled in."),
        ("Insulation resistance tested", "Test results outstanding."),
        ("Earthing and bonding complete", "Bonding missing to the gas pipe."),
    ],
    "plumbing": [
        ("Pipework supported at centres", "Brackets missing over 2 m on the main."),
        ("Falls on drainage checked", "Back fall on the branch to the stack."),
        ("Pressure or air test passed", "Pressure dropped 0.3 bar in 15 minutes."),
        ("Access points provided", "No rodding eye at the change of direction."),
        ("Insulation and vapour barrier", "Vapour barrier not sealed at joints."),
        ("Valves labelled and accessible", "Isolation valve behind plasterboard."),
    ],
    "facade": [
        ("Brackets fixed with specified anchors", "Anchors not the approved type."),
        ("Bracket torque recorded", "Torque records missing for bay 4."),
        ("Panel alignment within tolerance", "Panel joint 8 mm, 5 mm tolerance."),
        ("Seals continuous at interfaces", "Seal missing at the slab edge interface."),
        ("Glazing free of damage", "Scratch across the lower pane."),
        ("Drainage paths clear", "Weep holes blocked with sealant."),
        ("Protection in place", "Protective film removed too early."),
    ],
    "roofing": [
        ("Deck clean and dry", "Ponding water on the deck."),
        ("Vapour control layer sealed", "VCL not lapped at the upstand."),
        ("Insulation boards staggered", "Board joints aligned in both layers."),
        ("Membrane laps welded and probed", "Open lap found when probed."),
        ("Upstands 150 mm above finish", "Upstand at the plant plinth 90 mm."),
        ("Outlets and overflows fitted", "Overflow not installed."),
        ("Edge protection and access", "Harness point not certified."),
    ],
    "safety": [
        ("Edge protection complete", "Toe board missing along the east edge."),
        ("Floor openings covered and marked", "Opening cover not fixed down."),
        ("Access routes clear", "Materials stacked across the escape route."),
        ("Lighting adequate", "Stair lighting not working."),
        ("Fire extinguishers in place", "Extinguisher missing at the stair."),
        ("Permits displayed", "Hot works permit not displayed."),
    ],
    "general": [
        ("Area clean and tidy", "Waste left by the previous trade."),
        ("Work to the latest drawings", "Work to a superseded revision."),
        ("Materials approved", "Material submittal not approved."),
        ("Previous defects closed", "Two defects from the last walk still open."),
        ("Protection to finished work", "No protection to the finished floor."),
        ("Interfaces with other trades agreed", "Clash with ductwork not resolved."),
        ("Records and test sheets filed", "Test sheets missing from the file."),
    ],
}

PEOPLE_ON_SITE = (
    ("Priya Shah", "Site Engineer"),
    ("Tom Okafor", "Concrete Foreman"),
    ("Declan Murphy", "Site Manager"),
    ("Aisha Rahman", "Quality Manager"),
    ("Marek Nowak", "Drylining Supervisor"),
    ("Sofia Rossi", "Services Coordinator"),
    ("Liam O'Connor", "Assistant Site Manager"),
    ("Grace Chen", "Facade Engineer"),
    ("Ben Adeyemi", "Electrical Supervisor"),
    ("Hannah Lewis", "H&S Advisor"),
)
COMPANIES = {
    "Concrete": "Castle Concrete",
    "Reinforcement": "Ironside Rebar",
    "Formwork": "Castle Concrete",
    "Blockwork": "Pennine Masonry",
    "Fire protection": "Firesafe Systems",
    "Waterproofing": "DryLine Membranes",
    "Drylining": "Northern Drylining",
    "Electrical": "Apex Electrical",
    "Plumbing": "Flowright Mechanical",
    "Mechanical": "Flowright Mechanical",
    "Facade": "Clearview Facades",
    "Roofing": "Summit Roofing",
    "Site safety": "SafeEdge Access",
    "General": "ProClean Site Services",
    "Groundworks": "Fenland Groundworks",
}
FOREMEN = (
    "Gary Walsh", "Piotr Kowalski", "Dean Hughes", "Mohammed Iqbal", "Craig Bennett",
    "Stuart Reid", "Andrius Petrauskas", "Kelly Marsh",
)  # fmt: skip
DISCIPLINES = {  # drawing prefix: Structural, Mechanical, Electrical, Civil; else Architectural
    "Concrete": "S", "Reinforcement": "S", "Formwork": "S", "Plumbing": "M",
    "Mechanical": "M", "Electrical": "E", "Groundworks": "C",
}  # fmt: skip
ELEMENTS = ("transfer beam", "core wall", "pile cap", "stair flight", "column", "slab edge")
ELEVATIONS = ("north", "south", "east", "west")
ROOFS = ("main roof", "plant deck", "east roof", "lift overrun roof")
PHOTO_CAPTIONS = (
    "General view",
    "Close-up",
    "Looking north",
    "Looking south along the grid",
    "Marked up on site",
    "Measurement taken",
    "Before rectification",
    "After rectification",
    "Detail at junction",
    "From the level below",
)


@dataclass
class PhotoPlan:
    filename: str
    caption: str
    scene: int  # which of the base scenes the picture is painted on
    variant: int  # seeds the picture's own details
    taken_at: datetime | None = None  # written into the JPEG's EXIF, as a camera would
    taken_by: str = ""


@dataclass
class RecordPlan:
    project: int  # index into PROJECTS
    kind: str
    title: str
    trade: str
    location: str
    created_at: datetime
    reference: str = ""
    status: str = "open"
    assignee: str = ""
    due_date: date | None = None
    updated_at: datetime | None = None
    description: str = ""
    checklist: list[tuple[str, str, str]] = field(default_factory=list)
    photos: list[PhotoPlan] = field(default_factory=list)
    # Record columns for the report, by name: raised, closed and signed off by; NCR findings.
    report: dict[str, object] = field(default_factory=dict)


def plan_records(rng: random.Random, count: int, scenes: int) -> list[RecordPlan]:
    """`count` records over the projects, oldest first, numbered per project and kind."""
    shares = [p.share for p in PROJECTS]
    plans = []
    for _ in range(count):
        project = rng.choices(range(len(PROJECTS)), weights=shares)[0]
        plans.append(_plan_record(rng, project, scenes))
    plans.sort(key=lambda plan: plan.created_at)
    numbers = Counter()
    for plan in plans:
        numbers[plan.project, plan.kind] += 1
        plan.reference = f"{RECORD_KINDS[plan.kind]}-{numbers[plan.project, plan.kind]:04d}"
        _report_fields(plan)
    return plans


def _report_fields(plan: RecordPlan) -> None:
    """Who raised, closed and signed off the record, an NCR's findings, who took each photo.
    From a generator of the record's own (seeded by its reference), so that adding these left
    every other value of the demo data as it was."""
    rng = random.Random(f"{plan.project}/{plan.reference}")
    raiser, raiser_role = rng.choice(PEOPLE_ON_SITE)
    plan.report["raised_by"] = f"{raiser} ({raiser_role})"
    for photo in plan.photos:
        photo.taken_by = rng.choice((raiser, plan.assignee.split(" (")[0]))
    if plan.kind == "ncr":
        findings = rng.choice(NCR_FINDINGS)
        plan.report.update(zip(NCR_FINDING_FIELDS, findings, strict=True))
    if plan.status == "closed":
        closer, role = rng.choice(PEOPLE_ON_SITE)
        plan.report |= {
            "closed_by": f"{closer} ({role})", "closed_at": plan.updated_at,
            "sign_off_name": closer, "sign_off_role": role,
            "sign_off_date": plan.updated_at.date(),
        }  # fmt: skip


NCR_FINDING_FIELDS = ("root_cause", "disposition", "corrective_action")
NCR_FINDINGS = (
    (
        "Formwork ties under-tightened; the shutter moved during the pour.",
        "repair",
        "Grind back and repair to the engineer's detail; tie spacing checked before each pour.",
    ),
    (
        "Material delivered to a superseded specification; not checked on receipt.",
        "reject",
        "Remove and replace with approved material; goods-in check added to the ITP.",
    ),
    (
        "Setting-out taken from an old gridline survey.",
        "rework",
        "Set out again from the current survey; surveyor to sign off before work restarts.",
    ),
    (
        "Cover slightly below specification at one location; structurally acceptable.",
        "use_as_is",
        "Engineer's written approval filed; spacer type changed for the next pours.",
    ),
)


def _plan_record(rng: random.Random, project: int, scenes: int) -> RecordPlan:
    template = rng.choice(TEMPLATES)
    place = _place(rng, PROJECTS[project])
    day = BASE_TIME.date() - timedelta(days=rng.randint(1, SPAN_DAYS))
    created = datetime.combine(day, time(rng.randint(7, 16), rng.randint(0, 59)))
    plan = RecordPlan(
        project=project,
        kind=template.kind,
        title=template.title.format(**place),
        trade=template.trade,
        location=template.location.format(**place),
        created_at=created,
    )
    plan.checklist = _checklist(rng, template)
    _schedule(rng, plan)
    plan.description = _description(rng, plan)
    plan.photos = _photos(rng, plan, scenes)
    return plan


def _place(rng: random.Random, project: ProjectPlan) -> dict[str, str]:
    level = rng.randint(1, project.levels)
    return {
        "level": str(level),
        "unit": project.unit,
        "zone": f"zone {rng.choice('ABCD')}",
        "grid": f"{rng.choice('ABCDEFGH')}{rng.randint(1, 9)}",
        "apt": f"{level}{rng.randint(1, 8):02d}",
        "riser": str(rng.randint(1, 4)),
        "element": rng.choice(ELEMENTS),
        "elevation": rng.choice(ELEVATIONS),
        "roof": rng.choice(ROOFS),
        "pour": f"P{rng.randint(1, 60):02d}",
    }


def _checklist(rng: random.Random, template: Template) -> list[tuple[str, str, str]]:
    """3 to 8 lines; NCRs fail more often than routine inspections."""
    pool = CHECKLISTS[template.checklist]
    lines = rng.sample(pool, rng.randint(3, min(8, len(pool))))
    fail_weight = 25 if template.kind == "ncr" else 10
    items = []
    for label, failure in lines:
        result = rng.choices(("pass", "fail", "n/a"), weights=(75, fail_weight, 12))[0]
        comment = failure if result == "fail" else ""
        if result == "n/a" and rng.random() < 0.5:
            comment = "Not applicable at this stage."
        items.append((label, result, comment))
    return items


def _schedule(rng: random.Random, plan: RecordPlan) -> None:
    """Status, assignee, due date and last update; older records are more often closed."""
    age_days = (BASE_TIME - plan.created_at).days
    closed_chance = min(0.9, age_days / SPAN_DAYS + (0.3 if plan.kind == "inspection" else 0))
    if rng.random() < closed_chance:
        plan.status = "closed"
    else:
        plan.status = rng.choice(("open", "in_progress"))
    if plan.kind == "inspection":  # the main contractor inspects; trades fix
        name, role = rng.choice(PEOPLE_ON_SITE)
        plan.assignee = f"{name} ({role})"
    else:
        plan.assignee = f"{rng.choice(FOREMEN)} ({COMPANIES[plan.trade]})"
    if plan.kind != "inspection" or rng.random() < 0.6:
        plan.due_date = plan.created_at.date() + timedelta(days=rng.randint(2, 21))
    worked_on = timedelta(
        days=rng.randint(0, 14), hours=rng.randint(1, 3), minutes=rng.randint(0, 59)
    )
    if plan.status == "open":
        worked_on = timedelta()
    plan.updated_at = min(plan.created_at + worked_on, BASE_TIME)


def _description(rng: random.Random, plan: RecordPlan) -> str:
    company = COMPANIES[plan.trade]
    discipline = DISCIPLINES.get(plan.trade, "A")
    drawing = f"Ref. drawing {discipline}-{rng.randint(100, 450)} rev {rng.choice('ABCD')}"
    fails = sum(1 for _, result, _ in plan.checklist if result == "fail")
    lines = [OPENINGS[plan.kind].format(company=company, where=plan.location)]
    lines.append(rng.choice(DETAILS[plan.kind]).format(company=company))
    if fails:
        lines.append(f"{fails} checklist item{'s' if fails > 1 else ''} failed: see comments.")
    lines.append(f"{drawing}; {company} notified.")
    return "\n".join(lines)


OPENINGS = {
    "inspection": "Hold-point inspection with {company} at {where}.",
    "issue": "Found during the weekly quality walk at {where}.",
    "task": "Action raised at the coordination meeting for {where}.",
    "ncr": "Work at {where} does not conform to the specification.",
}
DETAILS = {
    "inspection": (
        "Checked against the ITP and the latest issued drawings.",
        "Inspected before covering up; next trade waiting to start.",
        "Re-inspection after the previous visit's comments were closed out.",
    ),
    "issue": (
        "Area taped off until {company} has assessed it.",
        "Likely caused by follow-on trades; protection to be improved.",
        "Photos taken from both sides; defect marked up on site.",
    ),
    "task": (
        "Needed before the area is handed to finishes.",
        "Programme float is two days; please confirm a date.",
        "{company} to confirm resources at Thursday's meeting.",
    ),
    "ncr": (
        "Disposition: remove and replace; {company} to submit a method statement.",
        "Disposition: repair to the engineer's detail, then re-inspect.",
        "Disposition: accept as is, subject to the engineer's written approval.",
    ),
}


def _photos(rng: random.Random, plan: RecordPlan, scenes: int) -> list[PhotoPlan]:
    count = rng.choices(range(5), weights=(20, 35, 25, 12, 8))[0]
    photos, taken = [], plan.created_at
    for _ in range(count):
        taken += timedelta(seconds=rng.randint(20, 600))
        photos.append(
            PhotoPlan(
                filename=f"IMG_{taken:%Y%m%d_%H%M%S}.jpg",
                caption=rng.choice(PHOTO_CAPTIONS),
                scene=rng.randrange(scenes),
                variant=rng.randrange(2**32),
                taken_at=taken,
            )
        )
    return photos
