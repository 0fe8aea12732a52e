import * as React from "react";
import { type VariantProps } from "class-variance-authority";
import { cn } from "../lib/utils";
import { toggleVariants } from "./toggle";

type Variants = VariantProps<typeof toggleVariants>;
const ToggleGroupContext = React.createContext<Variants & { isOn: (value: string) => boolean; press: (value: string) => void }>({
  isOn: () => false, press: () => {},
});

type ToggleGroupProps = Omit<React.ComponentProps<"div">, "defaultValue" | "onChange"> & Variants & {
  type?: "single" | "multiple"; value?: string | string[]; defaultValue?: string | string[];
  onValueChange?: (value: string & string[]) => void; disabled?: boolean; rovingFocus?: boolean;
};

export function ToggleGroup({ className, variant, size, type = "single", value, defaultValue, onValueChange, children, ...props }: ToggleGroupProps) {
  const [own, setOwn] = React.useState(defaultValue);
  const current = value ?? own;
  const chosen = current === undefined ? [] : ([] as string[]).concat(current);
  const press = (item: string) => {
    const next = type === "multiple"
      ? (chosen.includes(item) ? chosen.filter((v) => v !== item) : [...chosen, item])
      : (chosen.includes(item) ? "" : item);
    setOwn(next);
    onValueChange?.(next as string & string[]);
  };
  return (
    <div role="group" data-slot="toggle-group" data-variant={variant} data-size={size}
      className={cn("group/toggle-group flex w-fit items-center rounded-md data-[variant=outline]:shadow-xs", className)} {...props}>
      <ToggleGroupContext.Provider value={{ variant, size, isOn: (item) => chosen.includes(item), press }}>{children}</ToggleGroupContext.Provider>
    </div>
  );
}
export function ToggleGroupItem({ className, variant, size, value, ...props }: React.ComponentProps<"button"> & Variants & { value: string }) {
  const group = React.useContext(ToggleGroupContext);
  const on = group.isOn(value);
  return (
    <button type="button" data-slot="toggle-group-item" data-variant={group.variant || variant} data-size={group.size || size}
      data-state={on ? "on" : "off"} aria-pressed={on} onClick={() => group.press(value)}
      className={cn(toggleVariants({ variant: group.variant || variant, size: group.size || size }),
        "min-w-0 flex-1 shrink-0 rounded-none shadow-none first:rounded-l-md last:rounded-r-md focus:z-10 data-[variant=outline]:border-l-0 data-[variant=outline]:first:border-l",
        className)} {...props} />
  );
}
