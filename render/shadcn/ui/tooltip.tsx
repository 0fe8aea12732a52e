// A still picture shows no tooltip: the trigger renders, the content does not.
import * as React from "react";
import { Slot } from "../lib/slot";

export function TooltipProvider({ children }: { children?: React.ReactNode; delayDuration?: number }) {
  return <>{children}</>;
}
export function Tooltip({ children }: { children?: React.ReactNode; open?: boolean; defaultOpen?: boolean }) {
  return <>{children}</>;
}
export function TooltipTrigger({ asChild = false, ...props }: React.ComponentProps<"button"> & { asChild?: boolean }) {
  return asChild ? <Slot {...props} /> : <button type="button" data-slot="tooltip-trigger" {...props} />;
}
export function TooltipContent(_props: React.ComponentProps<"div"> & { side?: string; sideOffset?: number }) {
  return null;
}
