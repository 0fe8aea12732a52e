// A still picture shows a closed menu: the trigger renders; the content and its items do not.
import * as React from "react";
import { Slot } from "../lib/slot";

type Children = { children?: React.ReactNode };
type Hidden = React.ComponentProps<"div"> & Record<string, unknown>;

export function DropdownMenu({ children }: Children & { open?: boolean; defaultOpen?: boolean; modal?: boolean; onOpenChange?: (open: boolean) => void }) {
  return <>{children}</>;
}
export function DropdownMenuTrigger({ asChild = false, ...props }: React.ComponentProps<"button"> & { asChild?: boolean }) {
  return asChild ? <Slot data-state="closed" {...props} /> : <button type="button" data-slot="dropdown-menu-trigger" data-state="closed" {...props} />;
}
export function DropdownMenuPortal({ children }: Children) { return <>{children}</>; }
export function DropdownMenuContent(_props: Hidden) { return null; }
export function DropdownMenuGroup(_props: Hidden) { return null; }
export function DropdownMenuItem(_props: Hidden) { return null; }
export function DropdownMenuCheckboxItem(_props: Hidden) { return null; }
export function DropdownMenuRadioGroup(_props: Hidden) { return null; }
export function DropdownMenuRadioItem(_props: Hidden) { return null; }
export function DropdownMenuLabel(_props: Hidden) { return null; }
export function DropdownMenuSeparator(_props: Hidden) { return null; }
export function DropdownMenuShortcut(_props: Hidden) { return null; }
export function DropdownMenuSub({ children }: Children) { return <>{children}</>; }
export function DropdownMenuSubTrigger(_props: Hidden) { return null; }
export function DropdownMenuSubContent(_props: Hidden) { return null; }
