"""What a function's init imports: only what its work needs (each import is paid on every cold start)."""

from __future__ import annotations

import json

import pytest

from kefu.store.models import KIND_MODULES
from tests.unit.lambda_process import run_in_function

PARSER_MODELS = "aws_lambda_powertools.utilities.parser.models"
DATA_CLASSES = "aws_lambda_powertools.utilities.data_classes"


def modules_after_init(name: str) -> set[str]:
    probe = "import json, sys, handler; print(json.dumps(sorted(sys.modules)))"
    done = run_in_function(name, probe)
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


BATCH_READERS = [
    "intake",
    "email_inbound",
    "email_outbound",
    "notifications",
    "escalation_watcher",
    "kpis",
    "qa_checks",
]


@pytest.mark.parametrize("name", BATCH_READERS)
def test_a_batch_readers_init_leaves_out_powertools_batch_utility_and_its_event_classes_and_models(name: str):
    # Given a function that reads a queue's or a stream's batches, when its handler module is imported (the init phase)
    modules = modules_after_init(name)
    # then its loop is kefu's, without Powertools' batch utility, the data classes of every event source it
    # imports, or its parser models (one per event source, all built at import)
    assert "kefu.batches" in modules
    powertools = {"aws_lambda_powertools.utilities.batch", DATA_CLASSES, PARSER_MODELS}
    assert not powertools & modules


def test_the_apis_init_leaves_out_the_capabilities_routes_and_their_domains_the_qa_checks_routing_and_boto3():
    # Given the API function, when its handler module is imported
    modules = modules_after_init("api")
    # then the ticket routes are there, without the capabilities' route modules (each included with the first
    # request for one of its paths) and their domains,
    assert "kefu.tickets.service" in modules
    assert not {name for name in modules if name.endswith("_routes")}
    capabilities = {"kefu.attachments", "kefu.customers.service", "kefu.knowledge", "kefu.kpis", "kefu.qa"}
    assert not capabilities & modules
    # nor the agents' domain and store or the survey models (the agent and survey routes are route modules; only the
    # `groups` access scope reads an agent's record, on a request),
    assert not {"kefu.agents", "kefu.store.agents", "kefu.model.surveys", "kefu.surveys"} & modules
    # without the automatic QA checks (and the routing and SLA settings they read), and without boto3 (the first
    # request reads DynamoDB through pynamodb's botocore client)
    assert not {"kefu.qa.checks", "kefu.routing", "kefu.sla", "boto3"} & modules
    # and without the ticket pieces a read does not use (kefu.tickets.service loads each with its first use)
    unread = {"kefu.tickets.opening", "kefu.tickets.conversation", "kefu.tickets.handover", "kefu.tickets.transitions"}
    assert not unread & modules
    # nor the store (the first request that reads the table imports it, with the collector still off: handler.py;
    # resolving a customer's login imports its stores then, kefu.customers.linking), nor, then, any of the table's
    # kinds (groups, customer records, mail, surveys, notices: kefu.store.models.KIND_MODULES)
    assert "kefu.customers.linking" in modules
    assert not {"kefu.store.models", "kefu.store.customers", "kefu.store.logins"} & modules
    assert not set(KIND_MODULES) & modules


def test_the_apis_init_leaves_the_request_bodies_models_unmade_until_a_route_that_takes_one_needs_them():
    # Given the API function, when its handler module is imported
    probe = (
        "import json, sys, types, handler; m = sys.modules['kefu.model.ticket_requests']; "
        "made = type(m) is types.ModuleType; body = handler.requests.NewTicket; "
        "from kefu.model.ticket_requests import NewTicket; "
        "print(json.dumps([made, type(m) is types.ModuleType, body is NewTicket, body.__name__]))"
    )
    done = run_in_function("api", probe)
    assert done.returncode == 0, done.stderr[-3000:]
    # then the models of the request bodies (kefu.model.ticket_requests) are named but not made, and a route's
    # annotation, read, runs their module: the very classes an import of it gives
    assert json.loads(done.stdout.splitlines()[-1]) == [False, True, True, "NewTicket"]


def test_the_tickets_service_offers_each_name_as_its_module_defines_it():
    # Given the tickets service, whose names are loaded from their modules on first use
    probe = (
        "import json, importlib, kefu.tickets.service as s; "
        "print(json.dumps({n: getattr(s, n) is getattr(importlib.import_module(h), n) for n, h in s.HOMES.items()}"
        " | {'__all__': sorted(s.__all__) == sorted(s.HOMES), 'dir': set(s.HOMES) <= set(dir(s))}))"
    )
    done = run_in_function("api", probe)
    assert done.returncode == 0, done.stderr[-3000:]
    # then every name it lists is the very object of the module it names, all of them and only them in __all__
    found = json.loads(done.stdout.splitlines()[-1])
    assert found and all(found.values()), {name: ok for name, ok in found.items() if not ok}


def test_reading_tickets_does_not_import_the_customer_records():
    # Given the API function, when the module that reads tickets is imported
    probe = "import json, sys, kefu.tickets.queries; print(json.dumps(sorted(sys.modules)))"
    done = run_in_function("api", probe)
    assert done.returncode == 0, done.stderr[-3000:]
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    # then the customer-records subsystem (its service, audit trail, models and store) is not imported with it
    records = {"kefu.customers.service", "kefu.customers.audit", "kefu.store.audit", "kefu.model.customer_records"}
    assert not records & modules
    # nor the table's kinds a ticket read does not meet
    assert not set(KIND_MODULES) & modules


def test_the_revisit_functions_init_leaves_out_what_only_sending_needs():
    # Given the revisit function, whose first invocation of a run selects its targets, when its handler is imported
    modules = modules_after_init("revisit")
    # then the campaign steps are there, without the surveys (their store and tokens too), the invitation, e-mail and
    # text messages (sending imports them when it runs)
    assert "kefu.revisits.campaigns" in modules
    sending = {"kefu.surveys.service", "kefu.revisits.invitation", "kefu.email.outbound", "kefu.sms.outbound"}
    assert not sending & modules
    assert not {"kefu.store.surveys", "kefu.model.surveys", "kefu.surveys.tokens"} & modules
    # nor the knowledge base or the callers' identities, which the KPI tallies it counts its runs with need only for
    # the API's deflections, nor a ticket's KPI facts (only a ticket's refresh computes them)
    assert not {"kefu.knowledge", "kefu.identity", "kefu.kpis.facts"} & modules


def test_the_intake_functions_init_reads_a_crm_message_without_the_customer_records():
    # Given the intake function, whose queue carries contacts and the CRM's customer.updated messages, when its
    # handler is imported
    modules = modules_after_init("intake")
    # then the CRM message's model is there, without the customer-records subsystem that applies one (imported with
    # the first such message)
    assert "kefu.customers.updates" in modules
    assert not {"kefu.customers.crm", "kefu.store.customer_records", "kefu.model.customer_records"} & modules


def test_a_tickets_opening_reads_the_knowledge_base_without_its_articles_nor_its_writes():
    # Given intake, whose first work opens a ticket with the knowledge base's suggestions, when what an opening
    # imports is imported
    probe = (
        "import json, sys, handler, kefu.tickets.opening, kefu.tickets.knowledge; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = run_in_function("intake", probe)
    assert done.returncode == 0, done.stderr[-3000:]
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    # then the suggestions are there, with the replies' store and the shapes they make (replies, suggestions),
    assert {"kefu.knowledge.suggestions", "kefu.store.replies", "kefu.model.knowledge"} <= modules
    # without the articles' domain, store and models (suggestions read articles from the search index), the
    # replies' domain and the counts of their uses, the other requests' answers and the request bodies' models
    unread = {
        "kefu.knowledge.articles",
        "kefu.store.articles",
        "kefu.model.knowledge_articles",
        "kefu.knowledge.replies",
        "kefu.store.reply_usage",
        "kefu.model.knowledge_answers",
        "kefu.model.knowledge_requests",
    }
    assert not unread & modules


def test_the_sla_configuration_leaves_out_the_agent_and_group_models():
    # Given a function that reads its SLA configuration (the KPI refresh counts business time, the escalation task
    # steps a clock), when the SLA package is imported
    done = run_in_function("kpis", "import json, sys, kefu.sla; print(json.dumps(sorted(sys.modules)))")
    assert done.returncode == 0, done.stderr[-3000:]
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    # then it names groups by their id's type alone, without the agent and group models (their classes are dear)
    assert "kefu.model.group_ids" in modules
    assert "kefu.model.agents" not in modules


@pytest.mark.parametrize("service", ["s3", "sns", "scheduler", "sesv2"])
def test_kefus_aws_clients_are_botocores_without_boto3(service: str):
    # Given the escalation function (it notifies by SNS and SES, and schedules its wakes), when kefu makes a client
    probe = (
        "import json, sys; from kefu.store.clients import aws_client; "
        f"client = aws_client({service!r}, region_name='us-east-1'); "
        "print(json.dumps([client.meta.service_model.service_name, 'boto3' in sys.modules]))"
    )
    done = run_in_function("escalation", probe)
    assert done.returncode == 0, done.stderr[-3000:]
    made, boto3_imported = json.loads(done.stdout.splitlines()[-1])
    # then it is the service's client, and boto3 (with s3transfer) was not imported for it
    assert made == service
    assert not boto3_imported


@pytest.mark.parametrize("name", ["revisit", "email_outbound"])
def test_an_idempotent_functions_first_work_leaves_out_boto3(name: str):
    # Given a function whose first work is idempotent (a revisit run's selection, an outbound mail), when it makes a
    # function idempotent as its first invocation does
    probe = (
        "import json, sys; from kefu.idempotency import idempotent; "
        "config, once = idempotent(lambda request: request, data='request', key='id', payload='body'); "
        "print(json.dumps([type(config).__name__, 'boto3' in sys.modules, "
        "type(sys.modules['aws_lambda_powertools.utilities.idempotency']).__name__]))"
    )
    done = run_in_function(name, probe)
    assert done.returncode == 0, done.stderr[-3000:]
    config, boto3_imported, package = json.loads(done.stdout.splitlines()[-1])
    # then Powertools' idempotency package was imported name by name and kefu's records need no boto3 (Powertools'
    # DynamoDB persistence layer imports it)
    assert config == "IdempotencyConfig"
    assert package == "LazyPackage"
    assert not boto3_imported


def test_the_escalation_tasks_init_leaves_out_the_handover_and_the_agents():
    # Given the escalation task function, whose wakes mostly raise a level or tell people, when its handler is imported
    modules = modules_after_init("escalation")
    # then the escalation service is there, without the handover (a step that moves the ticket to another group
    # imports it) and the agents' domain, store and models it brings
    assert "kefu.escalation.service" in modules
    agents = {"kefu.tickets.handover", "kefu.agents", "kefu.store.agents", "kefu.model.agents"}
    assert not agents & modules
    # and without boto3 (its clients are botocore's)
    assert "boto3" not in modules


def test_outbound_mails_init_leaves_out_the_agents_store_and_models():
    # Given the outbound mail function, whose mail store keys a group's item (an inbound mail's mailbox group), when
    # its handler is imported
    modules = modules_after_init("email_outbound")
    # then the mail store is there, without the agents' store and models (it keys groups by kefu.store.group_keys)
    assert "kefu.store.mail" in modules
    assert not {"kefu.store.agents", "kefu.model.agents", "boto3"} & modules
    # nor the group kinds (it reads no group: inbound mail's batch read of what it knows defines them), nor the
    # callers' identities (the channels' system caller is made with its first note)
    assert not {"kefu.store.group_models", "kefu.identity"} & modules
    # and the threading marks of its mail (token, reply address) are there, without the inbound mail's model
    assert "kefu.email.threading" in modules
    assert "kefu.email.model" not in modules


def test_inbound_mails_init_leaves_out_the_quoting_rules_and_the_html_converter():
    # Given the inbound mail function, when its handler is imported
    modules = modules_after_init("email_inbound")
    # then the parser is there, without the quoting rules (a mail's reply text is worked out when a reply or a
    # follow-up asks for it) and the HTML converter (the first HTML body imports it)
    assert "kefu.email.parsing" in modules
    assert not {"kefu.email.quoting", "kefu.email.html"} & modules
