import * as React from "react";
import { cn } from "../lib/utils";

type ProgressProps = React.ComponentProps<"div"> & { value?: number | null; max?: number; indicatorClassName?: string };

export function Progress({ className, value, max = 100, indicatorClassName, ...props }: ProgressProps) {
  const percent = Math.min(100, Math.max(0, ((value ?? 0) / (max || 100)) * 100));
  return (
    <div data-slot="progress" role="progressbar" aria-valuenow={value ?? undefined} className={cn("relative h-2 w-full overflow-hidden rounded-full bg-primary/20", className)} {...props}>
      <div data-slot="progress-indicator" className={cn("h-full w-full flex-1 bg-primary", indicatorClassName)} style={{ transform: `translateX(-${100 - percent}%)` }} />
    </div>
  );
}
