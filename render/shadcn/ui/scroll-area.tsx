import * as React from "react";
import { cn } from "../lib/utils";

export function ScrollArea({ className, children, ...props }: React.ComponentProps<"div">) {
  return (
    <div data-slot="scroll-area" className={cn("relative overflow-hidden", className)} {...props}>
      <div data-slot="scroll-area-viewport" className="size-full rounded-[inherit]">{children}</div>
    </div>
  );
}
export function ScrollBar(_props: { orientation?: "vertical" | "horizontal"; className?: string }) {
  return null;
}
