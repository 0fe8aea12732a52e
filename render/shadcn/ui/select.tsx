// A closed select: the trigger shows the chosen item's text (or the placeholder); the list is not drawn.
import * as React from "react";
import { ChevronDown } from "lucide-react";
import { cn } from "../lib/utils";

type SelectState = { value?: string; label?: React.ReactNode };
const SelectContext = React.createContext<SelectState>({});

// The chosen item's text is read from the items written inside the select, as Radix shows it when closed.
function labelOf(children: React.ReactNode, value: string | undefined): React.ReactNode {
  let found: React.ReactNode;
  React.Children.forEach(children, (child) => {
    if (found !== undefined || !React.isValidElement(child)) return;
    const props = child.props as { value?: string; children?: React.ReactNode };
    if (child.type === SelectItem && props.value === value) found = props.children;
    else found = labelOf(props.children, value);
  });
  return found;
}

type SelectProps = { value?: string; defaultValue?: string; onValueChange?: (value: string) => void; children?: React.ReactNode;
  open?: boolean; defaultOpen?: boolean; disabled?: boolean; name?: string; required?: boolean };

export function Select({ value, defaultValue, children }: SelectProps) {
  const chosen = value ?? defaultValue;
  const label = chosen === undefined ? undefined : labelOf(children, chosen) ?? chosen;
  return <SelectContext.Provider value={{ value: chosen, label }}>{children}</SelectContext.Provider>;
}
export function SelectTrigger({ className, size = "default", children, ...props }: React.ComponentProps<"button"> & { size?: "sm" | "default" }) {
  const { value } = React.useContext(SelectContext);
  return (
    <button type="button" role="combobox" aria-expanded={false} data-slot="select-trigger" data-size={size} data-state="closed"
      data-placeholder={value === undefined ? "" : undefined}
      className={cn("flex w-fit items-center justify-between gap-2 rounded-md border border-input bg-transparent px-3 py-2 text-sm whitespace-nowrap shadow-xs outline-none disabled:opacity-50 data-[placeholder]:text-muted-foreground data-[size=default]:h-9 data-[size=sm]:h-8 *:data-[slot=select-value]:line-clamp-1 *:data-[slot=select-value]:flex *:data-[slot=select-value]:items-center *:data-[slot=select-value]:gap-2 [&_svg]:pointer-events-none [&_svg]:shrink-0 [&_svg:not([class*='size-'])]:size-4 [&_svg:not([class*='text-'])]:text-muted-foreground", className)}
      {...props}>
      {children}
      <ChevronDown className="size-4 opacity-50" />
    </button>
  );
}
export function SelectValue({ placeholder, children, className, ...props }: React.ComponentProps<"span"> & { placeholder?: React.ReactNode }) {
  const { label } = React.useContext(SelectContext);
  return <span data-slot="select-value" className={className} {...props}>{children ?? label ?? placeholder}</span>;
}
// Only drawn when the select is open, which a still picture never shows.
export function SelectContent(_props: React.ComponentProps<"div"> & { position?: string; align?: string }) { return null; }
export function SelectItem(_props: React.ComponentProps<"div"> & { value: string; disabled?: boolean }) { return null; }
export function SelectGroup({ children }: { children?: React.ReactNode }) { return <>{children}</>; }
export function SelectLabel(_props: React.ComponentProps<"div">) { return null; }
export function SelectSeparator(_props: React.ComponentProps<"div">) { return null; }
export function SelectScrollUpButton(_props: React.ComponentProps<"div">) { return null; }
export function SelectScrollDownButton(_props: React.ComponentProps<"div">) { return null; }
