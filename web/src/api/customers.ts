// Customers as the agent sees them beside a ticket: the profile and their other tickets.
import type { components } from "./schema";
import { request } from "./client";
import type { Page, Ticket } from "./tickets";

export type CustomerProfile = components["schemas"]["CustomerProfile"];

export async function getCustomer(id: string): Promise<CustomerProfile> {
  return (await request<CustomerProfile>("GET", `/customers/${encodeURIComponent(id)}`)).data;
}

export async function customerTickets(id: string, limit = 10): Promise<Ticket[]> {
  const path = `/customers/${encodeURIComponent(id)}/tickets`;
  return (await request<Page<Ticket>>("GET", path, { query: { limit } })).data.items;
}
