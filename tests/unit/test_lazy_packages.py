"""The packages kefu imports name by name (kefu.lazy_packages; the API's two of Powertools, idempotency, phonenumbers)
and phonenumbers' data without its alternate formats: still only re-exports, still complete."""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

from kefu import lazy_packages
from tests.unit.lambda_process import run_in_function


@pytest.mark.parametrize("package", [*lazy_packages.POWERTOOLS, lazy_packages.IDEMPOTENCY, lazy_packages.PHONENUMBERS])
def test_a_deferred_package_still_only_re_exports_its_submodules_names(package: str):
    # Given the package's __init__ as the installed release ships it
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None
    with open(spec.origin, encoding="utf-8") as init:
        found = lazy_packages.exports_of(package, init.read())
    # Then it holds nothing but re-exports (a release that adds anything else would be imported whole again: the
    # API's cold start grows by its resolvers and event classes, an idempotent function's by boto3), and every
    # public name is one of them
    assert found is not None, f"{package}'s __init__ now does more than re-export: kefu.lazy_packages skips it"
    exports, public, _ = found
    assert public and set(public) <= set(exports)


def test_an_init_that_does_anything_but_re_export_is_left_to_import_as_usual():
    assert lazy_packages.exports_of("p", "from .a import A\nA.x = 1\n") is None
    assert lazy_packages.exports_of("p", "from .a import *\n") is None
    assert lazy_packages.exports_of("p", "from os import path\n") is None
    assert lazy_packages.exports_of("p", "from .a import A\n__version__ = make()\n") is None
    assert lazy_packages.exports_of("p", "from .a import A\nVERSION = '1.0'\n") is None
    assert (
        lazy_packages.exports_of("p", "from .a import A\nif __name__ == '__main__':\n    x = 1\nelse:\n    y = 2\n")
        is None
    )
    assert lazy_packages.exports_of("p", "from .a import A\nif __name__ == 'p':\n    x = 1\n") is None
    assert lazy_packages.exports_of("p", '"""Doc."""\nfrom .a import A as B\n__all__ = ["B"]\n') == (
        {"B": ("p.a", "A")},
        ["B"],
        {},
    )
    # a version, and a block that runs only as a script (phonenumbers' doctest run): still only re-exports
    source = 'from .a import A\n__version__ = "9.0"\n__all__ = ["A"]\nif __name__ == "__main__":\n    run()\n'
    assert lazy_packages.exports_of("p", source) == ({"A": ("p.a", "A")}, ["A"], {"__version__": "9.0"})


def test_a_deferred_package_keeps_its_dunder_constants_and_loads_a_name_with_its_submodule_only(tmp_path, monkeypatch):
    # Given a package like phonenumbers': re-exports, a version, a doctest run as a script
    package = tmp_path / "kefu_probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        'from .formatting import format_it\nfrom .matching import match_it\n__version__ = "2.1"\n'
        'if __name__ == "__main__":\n    raise SystemExit(1)\n'
    )
    (package / "formatting.py").write_text("def format_it():\n    return 'formatted'\n")
    (package / "matching.py").write_text("def match_it():\n    return 'matched'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    names = ("kefu_probe_pkg", "kefu_probe_pkg.formatting", "kefu_probe_pkg.matching")
    try:
        # When it is deferred and one name used
        assert lazy_packages.defer("kefu_probe_pkg")
        import kefu_probe_pkg

        # Then its version is there, the name is the submodule's, and the other submodule is not run
        assert isinstance(kefu_probe_pkg, lazy_packages.LazyPackage)
        assert kefu_probe_pkg.__version__ == "2.1"
        assert kefu_probe_pkg.format_it() == "formatted"
        assert "kefu_probe_pkg.formatting" in sys.modules
        assert "kefu_probe_pkg.matching" not in sys.modules
        assert kefu_probe_pkg.match_it() == "matched"
    finally:
        for name in names:
            sys.modules.pop(name, None)


PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    import handler
    from kefu import lazy_packages
    init = sorted(sys.modules)
    packages = {name: sys.modules[name] for name in lazy_packages.POWERTOOLS}
    names = {}
    for name, package in packages.items():
        # every public name, read as a client of the package reads it
        names[name] = {
            attribute: f"{type(value).__name__}:{getattr(value, '__module__', '')}"
            for attribute in package.__all__
            for value in [getattr(package, attribute)]
        }
    its_module = importlib.import_module("aws_lambda_powertools.utilities.data_classes.event_source")
    kafka = packages["aws_lambda_powertools.utilities.data_classes"].kafka_event
    from aws_lambda_powertools.utilities.data_classes import event_source
    print(json.dumps({
        "lazy": [isinstance(p, lazy_packages.LazyPackage) for p in packages.values()],
        "init": init,
        "names": names,
        "event_source": [callable(event_source), event_source is not its_module],
        "submodule": kafka is sys.modules["aws_lambda_powertools.utilities.data_classes.kafka_event"],
    }))
    """
)


def test_the_apis_init_loads_one_resolver_and_a_few_event_classes_and_every_public_name_still_resolves():
    # Given the API function's init (its handler imported as Lambda imports it)
    done = run_in_function("api", PROBE)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Then both Powertools packages were imported name by name,
    assert result["lazy"] == [True, True]
    init = set(result["init"])
    # without the resolvers the API does not use (AppSync's, Bedrock's, VPC Lattice's) or other event sources' classes
    unused = {
        "aws_lambda_powertools.event_handler.appsync",
        "aws_lambda_powertools.event_handler.bedrock_agent",
        "aws_lambda_powertools.event_handler.vpc_lattice",
        "aws_lambda_powertools.utilities.data_classes.sqs_event",
        "aws_lambda_powertools.utilities.data_classes.kafka_event",
    }
    assert not unused & init
    assert "aws_lambda_powertools.event_handler.api_gateway" in init
    # and every name the packages export still reads as the class or function it is
    event_handler = result["names"]["aws_lambda_powertools.event_handler"]
    assert event_handler["APIGatewayHttpResolver"] == "ABCMeta:aws_lambda_powertools.event_handler.api_gateway"
    assert event_handler["AppSyncResolver"].endswith(":aws_lambda_powertools.event_handler.appsync")
    data_classes = result["names"]["aws_lambda_powertools.utilities.data_classes"]
    assert data_classes["SQSEvent"].endswith(":aws_lambda_powertools.utilities.data_classes.sqs_event")
    assert not any(value.startswith("module:") for value in [*event_handler.values(), *data_classes.values()])
    # (a name that is also its submodule's, `event_source`, stays the decorator once the submodule is imported)
    assert result["event_source"] == [True, True]
    # (and a submodule the real __init__ imports is an attribute of the package, imported when first read)
    assert result["submodule"] is True


def test_a_lazy_module_runs_on_its_first_attribute_and_is_then_the_module_an_import_gives(tmp_path, monkeypatch):
    import importlib
    import sys

    from kefu.lazy_packages import lazy_module

    # Given a module that counts its runs
    (tmp_path / "kefu_lazy_probe.py").write_text("import builtins\nbuiltins.kefu_probe_runs += 1\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("builtins.kefu_probe_runs", 0, raising=False)
    monkeypatch.delitem(sys.modules, "kefu_lazy_probe", raising=False)
    import builtins

    # when it is named lazily, then it has not run
    module = lazy_module("kefu_lazy_probe")
    assert builtins.kefu_probe_runs == 0  # type: ignore[attr-defined]
    # and its first attribute runs it once; an import gives that same module, and naming it again too
    assert module.VALUE == 42
    assert importlib.import_module("kefu_lazy_probe") is module is lazy_module("kefu_lazy_probe")
    assert builtins.kefu_probe_runs == 1  # type: ignore[attr-defined]
    # and a name no module has is refused as an import refuses it
    with pytest.raises(ModuleNotFoundError):
        lazy_module("kefu_no_such_module")


PHONE_PROBE = textwrap.dedent(
    """
    import json, sys
    import handler
    from kefu.customers.contact import phone_number
    e164 = phone_number("138 0013 8000")
    import phonenumbers
    loaded = sorted(name for name in sys.modules if name.startswith("phonenumbers."))
    matched = [(m.start, m.raw_string) for m in phonenumbers.PhoneNumberMatcher(
        MATCHED_TEXT, "DE", leniency=phonenumbers.Leniency.EXACT_GROUPING
    )]
    from phonenumbers.data import _ALT_NUMBER_FORMATS
    print(json.dumps({
        "e164": e164,
        "lazy": type(phonenumbers).__name__,
        "loaded": loaded,
        "version": phonenumbers.__version__,
        "matcher": phonenumbers.PhoneNumberMatcher.__module__,
        "matched": matched,
        "alternate": repr(_ALT_NUMBER_FORMATS),
    }))
    """
)
#: Numbers in text that the matcher, grouping exactly, finds with the alternate formats (German and Russian ones).
MATCHED_TEXT = "Ruf an: 030 1234567, +49 30 123456, 0800 123 4567 oder +7 495 123-45-67; Fax 0221/12345-67"
PLAIN_MATCHER = textwrap.dedent(
    """
    import json, sys
    import phonenumbers
    from phonenumbers.data import _ALT_NUMBER_FORMATS
    matched = [(m.start, m.raw_string) for m in phonenumbers.PhoneNumberMatcher(
        MATCHED_TEXT, "DE", leniency=phonenumbers.Leniency.EXACT_GROUPING
    )]
    print(json.dumps({"matched": matched, "alternate": repr(_ALT_NUMBER_FORMATS)}))
    """
)


def test_intakes_first_phone_number_loads_phonenumbers_parsing_only_and_every_name_still_resolves():
    # Given the intake function's process, when a contact's phone number is first read
    done = run_in_function("intake", f"MATCHED_TEXT = {MATCHED_TEXT!r}\n" + PHONE_PROBE)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Then phonenumbers was imported name by name: its parsing, not its formatter-as-you-type, short numbers, matcher
    assert result["e164"] == "+8613800138000"
    assert result["lazy"] == "LazyPackage"
    assert "phonenumbers.phonenumberutil" in result["loaded"]
    unused = {"phonenumbers.asyoutypeformatter", "phonenumbers.shortnumberinfo", "phonenumbers.phonenumbermatcher"}
    assert not unused & set(result["loaded"])
    # and the package's version and other names are still there
    assert result["version"] == importlib.import_module("phonenumbers").__version__
    assert result["matcher"] == "phonenumbers.phonenumbermatcher"
    # nor the alternate formats of its data, until the matcher read them: then the same formats as phonenumbers' own
    # import makes, and the same numbers found with them
    assert not [name for name in result["loaded"] if name.startswith("phonenumbers.data.alt_format_")]
    plain = subprocess.run(
        [sys.executable, "-c", f"MATCHED_TEXT = {MATCHED_TEXT!r}\n" + PLAIN_MATCHER], capture_output=True, text=True
    )
    assert plain.returncode == 0, plain.stderr[-3000:]
    expected = json.loads(plain.stdout)
    assert result["alternate"] == expected["alternate"] and "NumberFormat(pattern=" in expected["alternate"]
    assert result["matched"] == expected["matched"] and len(expected["matched"]) >= 3


def probe_data_package(tmp_path, monkeypatch, init: str) -> str:
    """A package shaped like phonenumbers' data (`init` its `__init__`, two alternate-format modules)."""
    package = tmp_path / "kefu_probe_data"
    package.mkdir()
    (package / "__init__.py").write_text(init)
    for country in (7, 44):
        (package / f"alt_format_{country}.py").write_text(f"PHONE_ALT_FORMAT_{country} = ['format of {country}']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "kefu_probe_data"


FILED_ONLY = (
    "from .alt_format_44 import PHONE_ALT_FORMAT_44\nfrom .alt_format_7 import PHONE_ALT_FORMAT_7\n"
    "_ALT_NUMBER_FORMATS = {44: PHONE_ALT_FORMAT_44, 7: PHONE_ALT_FORMAT_7}\nREGIONS = ['GB', 'RU']\n"
)


@pytest.mark.parametrize(
    "init, deferred",
    [
        (FILED_ONLY, True),
        # a placeholder used: iterated (fails), or kept under another name
        (FILED_ONLY + "COUNT = len(PHONE_ALT_FORMAT_7)\n", False),
        (FILED_ONLY + "BRITISH = [PHONE_ALT_FORMAT_44]\n", False),
        # the dict not the one filed by country code
        (FILED_ONLY.replace("7: PHONE_ALT_FORMAT_7", "8: PHONE_ALT_FORMAT_7"), False),
        # no alternate formats at all
        ("REGIONS = ['GB']\n", False),
    ],
    ids=["filed only", "used", "kept elsewhere", "another key", "none"],
)
def test_alternate_formats_load_on_first_use_only_when_the_init_merely_files_them(
    tmp_path, monkeypatch, init, deferred
):
    name = probe_data_package(tmp_path, monkeypatch, init)
    try:
        # When the package is imported with its alternate formats deferred
        assert lazy_packages.defer_alternate_formats(name) is deferred
        module = importlib.import_module(name)
        # Then it is the module the import gives, with its other names, and none of the formats' modules is run
        # unless it was imported as usual
        assert sys.modules[name] is module and module.REGIONS[0] == "GB"
        modules = {f"{name}.alt_format_{country}" for country in (7, 44)}
        assert modules & set(sys.modules) == (modules if not deferred and "_ALT" in init else set())
        if "_ALT" in init and "8:" not in init:
            # and the formats, when first used, are the modules' own, in the order filed
            assert module._ALT_NUMBER_FORMATS == {44: ["format of 44"], 7: ["format of 7"]}
            assert list(module._ALT_NUMBER_FORMATS) == [44, 7]
            assert module.PHONE_ALT_FORMAT_7 is module._ALT_NUMBER_FORMATS[7]
        with pytest.raises(AttributeError):
            module.NOT_THERE  # noqa: B018
    finally:
        for module_name in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module_name]
