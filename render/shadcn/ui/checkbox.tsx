import * as React from "react";
import { Check } from "lucide-react";
import { cn } from "../lib/utils";

type CheckboxProps = Omit<React.ComponentProps<"button">, "onChange"> & {
  checked?: boolean | "indeterminate"; defaultChecked?: boolean; onCheckedChange?: (checked: boolean) => void;
};

export function Checkbox({ className, checked, defaultChecked = false, onCheckedChange, ...props }: CheckboxProps) {
  const [own, setOwn] = React.useState(defaultChecked);
  const on = (checked ?? own) === true;
  return (
    <button type="button" role="checkbox" aria-checked={on} data-slot="checkbox" data-state={on ? "checked" : "unchecked"}
      onClick={() => { setOwn(!on); onCheckedChange?.(!on); }}
      className={cn("peer grid size-4 shrink-0 place-content-center rounded-[4px] border border-input shadow-xs", on && "border-primary bg-primary text-primary-foreground", className)} {...props}>
      {on ? <Check className="size-3.5" /> : null}
    </button>
  );
}
