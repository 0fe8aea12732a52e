import * as React from "react";
import { cn } from "../lib/utils";

type Div = React.ComponentProps<"div">;

export function Card({ className, ...props }: Div) {
  return <div data-slot="card" className={cn("flex flex-col gap-6 rounded-xl border bg-card py-6 text-card-foreground shadow-sm", className)} {...props} />;
}
export function CardHeader({ className, ...props }: Div) {
  return <div data-slot="card-header" className={cn("grid auto-rows-min grid-rows-[auto_auto] items-start gap-1.5 px-6 has-data-[slot=card-action]:grid-cols-[1fr_auto]", className)} {...props} />;
}
export function CardTitle({ className, ...props }: Div) {
  return <div data-slot="card-title" className={cn("leading-none font-semibold", className)} {...props} />;
}
export function CardDescription({ className, ...props }: Div) {
  return <div data-slot="card-description" className={cn("text-sm text-muted-foreground", className)} {...props} />;
}
export function CardAction({ className, ...props }: Div) {
  return <div data-slot="card-action" className={cn("col-start-2 row-span-2 row-start-1 self-start justify-self-end", className)} {...props} />;
}
export function CardContent({ className, ...props }: Div) {
  return <div data-slot="card-content" className={cn("px-6", className)} {...props} />;
}
export function CardFooter({ className, ...props }: Div) {
  return <div data-slot="card-footer" className={cn("flex items-center px-6", className)} {...props} />;
}
