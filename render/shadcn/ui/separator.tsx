import * as React from "react";
import { cn } from "../lib/utils";

type SeparatorProps = React.ComponentProps<"div"> & { orientation?: "horizontal" | "vertical"; decorative?: boolean };

export function Separator({ className, orientation = "horizontal", decorative: _decorative, ...props }: SeparatorProps) {
  return (
    <div data-slot="separator" data-orientation={orientation} role="separator"
      className={cn("shrink-0 bg-border", orientation === "horizontal" ? "h-px w-full" : "h-full w-px", className)} {...props} />
  );
}
