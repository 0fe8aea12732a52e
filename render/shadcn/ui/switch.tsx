import * as React from "react";
import { cn } from "../lib/utils";

type SwitchProps = Omit<React.ComponentProps<"button">, "onChange"> & {
  checked?: boolean; defaultChecked?: boolean; onCheckedChange?: (checked: boolean) => void;
};

export function Switch({ className, checked, defaultChecked = false, onCheckedChange, ...props }: SwitchProps) {
  const [own, setOwn] = React.useState(defaultChecked);
  const on = checked ?? own;
  return (
    <button type="button" role="switch" aria-checked={on} data-slot="switch" data-state={on ? "checked" : "unchecked"}
      onClick={() => { setOwn(!on); onCheckedChange?.(!on); }}
      className={cn("inline-flex h-[1.15rem] w-8 shrink-0 items-center rounded-full border border-transparent shadow-xs", on ? "bg-primary" : "bg-input", className)} {...props}>
      <span data-slot="switch-thumb" className={cn("pointer-events-none block size-4 rounded-full bg-background ring-0", on ? "translate-x-[calc(100%-2px)]" : "translate-x-0")} />
    </button>
  );
}
