import re
from collections.abc import Sequence
from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest

from receipting.api import App
from receipting.channels import (
    CHANNEL_ENTRY_POINT_GROUP,
    AppContext,
    Channel,
    cli_commands_of,
    load_channels,
    templates_dir_of,
)
from receipting.errors import ConfigurationError


class CounterChannel:
    name = "counter"

    def register_routes(self, app: App, context: AppContext) -> None:
        pass


class KioskChannel:
    name = "kiosk"

    def register_routes(self, app: App, context: AppContext) -> None:
        pass

    def templates_dir(self) -> Path:
        return Path("kiosk-templates")

    def cli_commands(self) -> Sequence[click.Command]:
        return [click.Command("kiosk-report")]


def make_kiosk() -> KioskChannel:
    return KioskChannel()


class Nameless:
    name = ""

    def register_routes(self, app: App, context: AppContext) -> None:
        pass


class NotAChannel:
    title = "no name, no routes"


counter_instance = CounterChannel()


def point(name: str, target: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"{__name__}:{target}", group=CHANNEL_ENTRY_POINT_GROUP)


def test_a_channel_is_loaded_from_an_instance_a_class_or_a_factory() -> None:
    loaded = load_channels([point("c", "counter_instance"), point("k", "make_kiosk")])
    from_class = load_channels([point("c", "CounterChannel")])

    assert [channel.name for channel in loaded] == ["counter", "kiosk"]
    assert isinstance(from_class[0], CounterChannel)
    assert all(isinstance(channel, Channel) for channel in loaded)


def test_channels_come_back_sorted_by_name_whatever_the_discovery_order() -> None:
    loaded = load_channels([point("k", "KioskChannel"), point("c", "CounterChannel")])

    assert [channel.name for channel in loaded] == ["counter", "kiosk"]


def test_with_nothing_installed_there_are_no_channels() -> None:
    assert load_channels([]) == []


def test_two_channels_with_one_name_stop_start_up() -> None:
    with pytest.raises(ConfigurationError, match="both named 'counter'"):
        load_channels([point("a", "CounterChannel"), point("b", "counter_instance")])


def test_an_entry_point_that_is_not_a_channel_stops_start_up_saying_what_is_missing() -> None:
    with pytest.raises(ConfigurationError, match="register_routes"):
        load_channels([point("odd", "NotAChannel")])


def test_a_channel_without_a_name_stops_start_up() -> None:
    with pytest.raises(ConfigurationError, match="empty name"):
        load_channels([point("nameless", "Nameless")])


def test_a_channel_that_cannot_be_imported_stops_start_up_naming_the_entry_point() -> None:
    missing = EntryPoint(
        name="ghost", value="no_such_package.channel:Ghost", group=CHANNEL_ENTRY_POINT_GROUP
    )

    with pytest.raises(
        ConfigurationError, match=re.escape("ghost = no_such_package.channel:Ghost")
    ):
        load_channels([missing])


def test_templates_and_commands_are_optional_hooks() -> None:
    kiosk, counter = KioskChannel(), CounterChannel()

    assert templates_dir_of(kiosk) == Path("kiosk-templates")
    assert [command.name for command in cli_commands_of(kiosk)] == ["kiosk-report"]
    assert templates_dir_of(counter) is None
    assert cli_commands_of(counter) == ()


def test_the_installed_distribution_declares_the_web_checkout() -> None:
    assert [channel.name for channel in load_channels()] == ["web_checkout"]


def test_receipting_never_imports_a_channel_by_name() -> None:
    package = Path(__file__).resolve().parents[3] / "receipting"
    by_name = re.compile(r"^\s*(from|import)\s+channels\b", re.MULTILINE)

    offenders = [path.name for path in package.rglob("*.py") if by_name.search(path.read_text())]

    assert offenders == []
