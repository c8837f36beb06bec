import type { ComponentChildren } from "preact";
import { Layout } from "./Layout";

/** A link of a section's second line of navigation, its label already in the reader's language. */
export interface SectionLink {
  path: string;
  label: string;
  testid: string;
}

/**
 * A section of screens (the console, quality reviews) sharing a heading and a second line of navigation; `here`
 * is the current screen's path, marked for assistive technology.
 */
export function SectionLayout(props: {
  title: string;
  navLabel: string;
  links: SectionLink[];
  here?: string;
  children: ComponentChildren;
}) {
  return (
    <Layout>
      <h1>{props.title}</h1>
      <nav aria-label={props.navLabel}>
        <ul>
          {props.links.map((link) => (
            <li key={link.path}>
              <a href={link.path} data-testid={link.testid} aria-current={props.here === link.path ? "page" : undefined}>
                {link.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {props.children}
    </Layout>
  );
}
