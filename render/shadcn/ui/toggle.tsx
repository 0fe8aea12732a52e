import * as React from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "../lib/utils";

export const toggleVariants = cva(
  "inline-flex items-center justify-center gap-2 rounded-md text-sm font-medium whitespace-nowrap outline-none hover:bg-muted hover:text-muted-foreground disabled:pointer-events-none disabled:opacity-50 data-[state=on]:bg-accent data-[state=on]:text-accent-foreground [&_svg]:pointer-events-none [&_svg]:shrink-0 [&_svg:not([class*='size-'])]:size-4",
  {
    variants: {
      variant: {
        default: "bg-transparent",
        outline: "border border-input bg-transparent shadow-xs hover:bg-accent hover:text-accent-foreground",
      },
      size: { default: "h-9 min-w-9 px-2", sm: "h-8 min-w-8 px-1.5", lg: "h-10 min-w-10 px-2.5" },
    },
    defaultVariants: { variant: "default", size: "default" },
  },
);

type ToggleProps = Omit<React.ComponentProps<"button">, "onChange"> & VariantProps<typeof toggleVariants> & {
  pressed?: boolean; defaultPressed?: boolean; onPressedChange?: (pressed: boolean) => void;
};

export function Toggle({ className, variant, size, pressed, defaultPressed = false, onPressedChange, ...props }: ToggleProps) {
  const [own, setOwn] = React.useState(defaultPressed);
  const on = pressed ?? own;
  return (
    <button type="button" data-slot="toggle" aria-pressed={on} data-state={on ? "on" : "off"}
      onClick={() => { setOwn(!on); onPressedChange?.(!on); }}
      className={cn(toggleVariants({ variant, size, className }))} {...props} />
  );
}
