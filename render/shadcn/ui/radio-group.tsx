import * as React from "react";
import { Circle } from "lucide-react";
import { cn } from "../lib/utils";

const RadioGroupContext = React.createContext<{ value?: string; select: (value: string) => void }>({ select: () => {} });

type RadioGroupProps = Omit<React.ComponentProps<"div">, "defaultValue" | "onChange"> & {
  value?: string; defaultValue?: string; onValueChange?: (value: string) => void; disabled?: boolean; name?: string;
};

export function RadioGroup({ className, value, defaultValue, onValueChange, ...props }: RadioGroupProps) {
  const [own, setOwn] = React.useState(defaultValue);
  const select = (next: string) => { setOwn(next); onValueChange?.(next); };
  return (
    <RadioGroupContext.Provider value={{ value: value ?? own, select }}>
      <div role="radiogroup" data-slot="radio-group" className={cn("grid gap-3", className)} {...props} />
    </RadioGroupContext.Provider>
  );
}
export function RadioGroupItem({ className, value, ...props }: React.ComponentProps<"button"> & { value: string }) {
  const group = React.useContext(RadioGroupContext);
  const on = group.value === value;
  return (
    <button type="button" role="radio" aria-checked={on} data-slot="radio-group-item" data-state={on ? "checked" : "unchecked"}
      onClick={() => group.select(value)}
      className={cn("aspect-square size-4 shrink-0 rounded-full border border-input text-primary shadow-xs outline-none disabled:opacity-50", className)} {...props}>
      {on ? (
        <span data-slot="radio-group-indicator" className="relative flex items-center justify-center">
          <Circle className="absolute top-1/2 left-1/2 size-2 -translate-x-1/2 -translate-y-1/2 fill-primary" />
        </span>
      ) : null}
    </button>
  );
}
