// `asChild`: render the single child element with the component's props and classes merged in.
import * as React from "react";
import { cn } from "./utils";

export function Slot({ children, className, ...props }: React.HTMLAttributes<HTMLElement> & { children?: React.ReactNode }) {
  if (!React.isValidElement(children)) return <>{children}</>;
  const child = children as React.ReactElement<{ className?: string }>;
  return React.cloneElement(child, { ...props, ...child.props, className: cn(className, child.props.className) });
}
