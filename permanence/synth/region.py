"""Which local authorities a synthetic region holds, and how each one's CMS names its files.

The home LA is Telford and Wrekin; the others are real English LAs (DfE 3-digit codes), led by
its statistical neighbours, so benchmarks in the marts compare like with like. Beyond this list
codes are synthesised (see `region_las`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Real DfE LA codes and names: the home LA, then neighbours, then more West Midlands / northern
# LAs so a "national"-sized run still starts with real codes.
KNOWN_LAS: tuple[tuple[str, str], ...] = (
    ("894", "Telford and Wrekin"),
    ("332", "Dudley"),
    ("861", "Stoke-on-Trent"),
    ("333", "Sandwell"),
    ("335", "Walsall"),
    ("336", "Wolverhampton"),
    ("860", "Staffordshire"),
    ("893", "Shropshire"),
    ("885", "Worcestershire"),
    ("371", "Doncaster"),
    ("355", "Salford"),
    ("330", "Birmingham"),
    ("331", "Coventry"),
    ("334", "Solihull"),
    ("884", "Herefordshire"),
    ("937", "Warwickshire"),
    ("370", "Barnsley"),
    ("372", "Rotherham"),
    ("373", "Sheffield"),
    ("380", "Bradford"),
    ("381", "Calderdale"),
    ("382", "Kirklees"),
    ("383", "Leeds"),
    ("384", "Wakefield"),
    ("350", "Bolton"),
    ("351", "Bury"),
    ("352", "Manchester"),
    ("353", "Oldham"),
    ("354", "Rochdale"),
    ("356", "Stockport"),
    ("357", "Tameside"),
    ("358", "Trafford"),
    ("359", "Wigan"),
    ("340", "Knowsley"),
    ("341", "Liverpool"),
    ("342", "St. Helens"),
    ("343", "Sefton"),
    ("344", "Wirral"),
    ("390", "Gateshead"),
    ("391", "Newcastle upon Tyne"),
    ("392", "North Tyneside"),
    ("393", "South Tyneside"),
    ("394", "Sunderland"),
    ("805", "Hartlepool"),
    ("806", "Middlesbrough"),
    ("807", "Redcar and Cleveland"),
    ("808", "Stockton-on-Tees"),
    ("810", "Kingston upon Hull, City of"),
    ("831", "Derby"),
    ("856", "Leicester"),
    ("892", "Nottingham"),
    ("830", "Derbyshire"),
    ("855", "Leicestershire"),
    ("891", "Nottinghamshire"),
    ("925", "Lincolnshire"),
    ("926", "Norfolk"),
    ("935", "Suffolk"),
    ("881", "Essex"),
    ("886", "Kent"),
    ("936", "Surrey"),
)

# How a CMS names its export files. The reader must find tables by header row, so the names
# deliberately share nothing. `{n:02d}` is the table's position in TABLE_ORDER.
CMS_STYLES: dict[str, dict[str, str]] = {
    "liquidlogic": {"903": "SSDA903_{title}.csv", "extras": "{title}.csv"},
    "mosaic": {"903": "903_{name}_extract.csv", "extras": "mosaic_{name}.csv"},
    "eclipse": {"903": "export_{n:02d}.csv", "extras": "export_{n:02d}.csv"},
    "carefirst": {"903": "CF 903 {title}.csv", "extras": "CF {name}.csv"},
}
STYLE_ORDER = tuple(CMS_STYLES)


@dataclass(frozen=True)
class LocalAuthority:
    index: int  # position in the region, seeds the LA's random stream
    code: str
    name: str
    cms: str


# Real DfE codes lie between 201 and 938: synthetic ones use 950-999 and then 100-199, which no
# real LA holds, so a synthetic code can never be mistaken for a real authority's figures.
_SYNTHETIC_CODES = tuple(range(950, 1000)) + tuple(range(100, 200))


def _synthetic_code(i: int, taken: set[str]) -> str:
    for n in _SYNTHETIC_CODES[i - len(KNOWN_LAS):]:
        if f"{n:03d}" not in taken:
            return f"{n:03d}"
    raise ValueError(f"no synthetic LA code left for region position {i}")


def region_las(count: int) -> list[LocalAuthority]:
    """The first `count` LAs of the region: known real codes first, then synthesised ones."""
    if count < 1:
        raise ValueError("a region needs at least one LA")
    taken = {c for c, _ in KNOWN_LAS}
    out = []
    for i in range(count):
        if i < len(KNOWN_LAS):
            code, name = KNOWN_LAS[i]
        else:
            code = _synthetic_code(i, taken)
            taken.add(code)
            name = f"Synthetic Authority {code}"
        out.append(LocalAuthority(i, code, name, STYLE_ORDER[i % len(STYLE_ORDER)]))
    return out
