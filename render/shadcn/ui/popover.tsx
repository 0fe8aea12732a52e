// A still picture shows a closed popover: the trigger renders, the content does not.
import * as React from "react";
import { Slot } from "../lib/slot";

export function Popover({ children }: { children?: React.ReactNode; open?: boolean; defaultOpen?: boolean; onOpenChange?: (open: boolean) => void }) {
  return <>{children}</>;
}
export function PopoverTrigger({ asChild = false, ...props }: React.ComponentProps<"button"> & { asChild?: boolean }) {
  return asChild ? <Slot data-state="closed" {...props} /> : <button type="button" data-slot="popover-trigger" data-state="closed" {...props} />;
}
export function PopoverAnchor({ children }: { children?: React.ReactNode }) {
  return <>{children}</>;
}
export function PopoverContent(_props: React.ComponentProps<"div"> & { align?: string; side?: string; sideOffset?: number }) {
  return null;
}
