"""The shadcn profile: shadcn's own import paths, and closed menus drawn as their still picture."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from widget2code.render import Compiler, ErrorKind, Renderer, RenderSettings

pytestmark = pytest.mark.browser

# A card as shadcn's registry writes it, with its paths left as `{ui}` to try each spelling.
PLAN = """
import {{ Card, CardContent, CardHeader, CardTitle }} from "{ui}/card";
import {{ Button }} from "{ui}/button";
import {{ Select, SelectContent, SelectItem, SelectTrigger, SelectValue }} from "{ui}/select";
export function CardsPlan() {{
  return (
    <Card className="w-72">
      <CardHeader><CardTitle>Plan</CardTitle></CardHeader>
      <CardContent className="flex gap-2">
        <Select defaultValue="pro">
          <SelectTrigger><SelectValue placeholder="Pick one" /></SelectTrigger>
          <SelectContent><SelectItem value="free">Free</SelectItem><SelectItem value="pro">Pro</SelectItem></SelectContent>
        </Select>
        <Button>Upgrade</Button>
      </CardContent>
    </Card>
  );
}}
"""
# A select whose trigger fits its text: the chosen item decides its width, and the open list is never drawn.
CHOSEN = """
import {{ Select, SelectContent, SelectItem, SelectTrigger, SelectValue }} from "@/components/ui/select";
export default function Picker() {{
  return (
    <Select {chosen}>
      <SelectTrigger><SelectValue placeholder="?" /></SelectTrigger>
      <SelectContent>
        <SelectItem value="short">i</SelectItem>
        {{["long"].map((v) => <SelectItem key={{v}} value={{v}}>A rather long option label</SelectItem>)}}
      </SelectContent>
    </Select>
  );
}}
"""
# Every component added for real cards, in one widget whose menus are closed.
CONTROLS = """
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import { RadioGroup, RadioGroupItem } from "@/components/ui/radio-group";
import { Textarea } from "@/components/ui/textarea";
import { Toggle } from "@/components/ui/toggle";
import { ToggleGroup, ToggleGroupItem } from "@/components/ui/toggle-group";
import { Button } from "@/components/ui/button";
export default function Controls() {
  return (
    <div className="flex w-96 flex-col gap-3 p-2">
      <DropdownMenu>
        <DropdownMenuTrigger asChild><Button variant="outline">Columns</Button></DropdownMenuTrigger>
        <DropdownMenuContent><DropdownMenuItem>Hidden item</DropdownMenuItem></DropdownMenuContent>
      </DropdownMenu>
      <Popover><PopoverTrigger>Open</PopoverTrigger><PopoverContent className="h-96">Hidden</PopoverContent></Popover>
      <ToggleGroup type="single" defaultValue="b" variant="outline">
        <ToggleGroupItem value="a">A</ToggleGroupItem><ToggleGroupItem value="b">B</ToggleGroupItem>
      </ToggleGroup>
      <Toggle defaultPressed>Bold</Toggle>
      <RadioGroup defaultValue="card" className="flex"><RadioGroupItem value="card" /><RadioGroupItem value="cash" /></RadioGroup>
      <Textarea placeholder="Describe it" />
    </div>
  );
}
"""


@pytest.fixture(scope="module")
def shadcn() -> Iterator[Renderer]:
    with Renderer(settings=RenderSettings(import_profile="shadcn")) as ui:
        yield ui


def test_registry_and_styles_paths_are_the_bundled_components(shadcn: Renderer) -> None:
    spellings = ["@/components/ui", "@/registry/new-york-v4/ui", "@/styles/new-york/ui", "@/registry/default/ui"]
    results = shadcn.render_many([PLAN.format(ui=ui) for ui in spellings])
    assert all(r.ok for r in results), [r.message for r in results]
    assert len({r.png for r in results}) == 1, "every spelling renders the same card"


def test_a_closed_select_shows_its_chosen_item(shadcn: Renderer) -> None:
    short, long, none = shadcn.render_many(
        [CHOSEN.format(chosen='defaultValue="short"'), CHOSEN.format(chosen='value="long"'), CHOSEN.format(chosen="")])
    assert short.ok and long.ok and none.ok, (short.message, long.message, none.message)
    assert long.width - short.width > 100, "the trigger holds the long label, so it is wider"
    assert short.height == long.height < 48 * 2 + 40, "only the trigger is drawn, not the list"
    assert none.png != short.png, "no value: the placeholder"


def test_new_components_draw_their_closed_state(shadcn: Renderer) -> None:
    result = shadcn.render(CONTROLS)
    assert result.ok, f"{result.error_kind}: {result.message}"
    pixels = np.asarray(result.image, dtype=np.int16)
    # Six controls stacked with gaps: no menu or popover content (h-96 would add 384 px).
    assert result.height < 48 * 2 + 330, result.height
    # The pressed toggle and the chosen toggle-group item take the accent colour (a light grey, not white).
    accent = (pixels.min(axis=-1) < 250) & (pixels.min(axis=-1) > 230)
    assert accent.sum() > 300


def test_app_specific_imports_stay_import_errors() -> None:
    sources = {
        "@/hooks/use-mobile": "import { useIsMobile } from '@/hooks/use-mobile';",
        "@/registry/new-york-v4/hooks/use-mobile": "import { useIsMobile } from '@/registry/new-york-v4/hooks/use-mobile';",
        "@/context/theme": "import { useTheme } from '@/context/theme';",
        "mathjs": "import { evaluate } from 'mathjs';",
        "@/registry/new-york-v4/ui/calendar": "import { Calendar } from '@/registry/new-york-v4/ui/calendar';",
    }
    with Compiler(import_profile="shadcn") as compiler:
        results = compiler.compile_many([f"{line}\nexport default function W() {{ return <div/>; }}"
                                         for line in sources.values()])
    for module, result in zip(sources, results, strict=True):
        assert result.error_kind == ErrorKind.IMPORT and f"'{module}'" in result.message, (module, result.message)
