"""The global stack federates what the regional stacks export."""

from pathlib import Path

import pytest

from monitoring import conventions as c
from monitoring.settings import SettingsError
from tests.pulumi.harness import (
    Run, is_secret, load_balancer_hostname, run_program, stack_config, without_secrets,
)

SCRAPE_CONFIG = "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SECRETS = {c.SECRET_SLACK_WEBHOOK: "https://hooks.slack.example/fed"}
# A real self-signed CA certificate (openssl req -x509, P-256): the program checks PEM content.
CA_PEM = (Path(__file__).resolve().parents[1] / "data" / "federation-ca.pem").read_text()

# Exports the mocked regional stacks answer with; deliberately unlike the
# guide's default names so that the test sees where the targets come from.
REGIONS = {
    "prod-us-east-1": {"cluster": "east", "region": "us-east-1", "federationEndpoint": "10.1.0.5:9090",
                       "federationScheme": "http", "federationAuthSecretName": ""},
    "prod-us-west-2": {"cluster": "west", "region": "us-west-2", "federationEndpoint": "10.2.0.5:9090",
                       "federationScheme": "http", "federationAuthSecretName": ""},
    "prod-eu-west-1": {"cluster": "europe", "region": "eu-west-1", "federationEndpoint": "fed.eu.example.com:443",
                       "federationScheme": "https", "federationAuthSecretName": "prometheus-federation-htpasswd"},
}


def _federation_job(run):
    jobs = [r for r in run.by_type(SCRAPE_CONFIG) if r.inputs["metadata"]["name"] == c.JOB_FEDERATE]
    assert len(jobs) == 1
    return jobs[0]


def test_the_global_stack_federates_the_three_regional_stack_references():
    run = run_program("prod", stack_config("prod"), SECRETS, stack_outputs=REGIONS)
    assert sorted(run.references) == sorted(f"acme/{c.PROJECT_NAME}/{s}" for s in REGIONS)
    spec = _federation_job(run).inputs["spec"]
    static = {tuple(sc["targets"]): sc["labels"] for sc in spec["staticConfigs"]}
    assert static == {
        # each region's own cluster and region (from its stack outputs) label its target
        ("10.1.0.5:9090",): {"source_cluster": "east", "cluster": "east", "region": "us-east-1"},
        ("10.2.0.5:9090",): {"source_cluster": "west", "cluster": "west", "region": "us-west-2"},
        ("fed.eu.example.com:443",): {"source_cluster": "europe", "cluster": "europe", "region": "eu-west-1",
                                      "__scheme__": "https"},
    }
    assert spec["metricsPath"] == "/federate" and spec["honorLabels"] is True
    assert spec["scrapeInterval"] == "30s"  # the evaluation interval: recorded values change no faster
    match = spec["params"]["match[]"]
    # Recorded series and the build info only: no per-pod `up`, no selector over raw series.
    assert "prometheus_build_info" in match and not any("{" in m or m == "up" for m in match)
    assert {"mcp_mesh:request_rate", "mcp_mesh:up:count_values"} <= set(match)
    assert all(":" in m or m == "prometheus_build_info" for m in match)
    assert {"action": "labeldrop", "regex": "prometheus_replica"} in spec["metricRelabelings"]


def test_secret_outputs_of_a_stack_reference_stay_secret():
    run = run_program("prod", stack_config("prod"), SECRETS, stack_outputs=REGIONS,
                      secret_outputs={"prod-eu-west-1": ["federationEndpoint"]})
    job = _federation_job(run)
    assert is_secret(job.raw_inputs["spec"])
    assert "fed.eu.example.com" not in str([r.raw_inputs for r in run.registrations if not is_secret(
        r.raw_inputs.get("spec"))])


def test_the_federation_job_waits_for_the_crds():
    run = run_program("prod", stack_config("prod"), SECRETS, stack_outputs=REGIONS)
    crds = next(r for r in run.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == c.CRDS_RELEASE_NAME)
    assert crds.urn in _federation_job(run).dependencies


def test_regional_stacks_export_the_address_their_internal_load_balancer_was_given():
    run = run_program("prod-us-west-2", stack_config("prod-us-west-2"), SECRETS)
    service = run.one(SERVICE)
    # The address comes from the Service's status, as the cloud assigned it.
    assert run.outputs["federationEndpoint"] == f"{load_balancer_hostname(service.name)}:9090"
    assert run.outputs["federationScheme"] == "http"
    assert (run.outputs["cluster"], run.outputs["region"]) == ("prod-us-west-2", "us-west-2")
    assert run.by_type(SCRAPE_CONFIG) == [] or all(
        r.inputs["metadata"]["name"] != c.JOB_FEDERATE for r in run.by_type(SCRAPE_CONFIG))
    assert run.references == []


def test_by_default_the_global_stack_federates_addresses_the_regional_stacks_really_have():
    # No stack outputs given: each regional stack file's own program run under the mocks answers.
    run = run_program("prod", stack_config("prod"), SECRETS)
    targets = sorted(t for sc in _federation_job(run).inputs["spec"]["staticConfigs"] for t in sc["targets"])
    assert targets == sorted(f"{load_balancer_hostname(f'{stack}-service-prometheus-federation')}:9090"
                             for stack in REGIONS)
    # Not the guide's bare names, which resolve to the global cluster's own namespace.
    assert not any(t.startswith("prometheus-us-") or t.startswith("prometheus-eu-") for t in targets)


def test_by_default_a_regional_prometheus_is_exposed_only_to_private_addresses():
    run = run_program("prod-us-east-1", stack_config("prod-us-east-1"), SECRETS)
    service = run.one(SERVICE)
    assert service.inputs["spec"]["type"] == "LoadBalancer"
    assert service.inputs["spec"]["loadBalancerSourceRanges"] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
    assert service.inputs["metadata"]["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true"}


def test_dev_and_global_stacks_export_no_federation_endpoint():
    for stack, secrets in (("dev", {}), ("prod", SECRETS)):
        run = run_program(stack, stack_config(stack), secrets, stack_outputs=REGIONS)
        assert not {"federationEndpoint", "federationScheme", "federationAuthSecretName"} & run.outputs.keys()
        assert run.by_type(SERVICE) == [] and run.by_type(INGRESS) == []
        assert run.outputs["cluster"]


def test_an_internal_load_balancer_with_no_source_range_is_refused():
    config = {**stack_config("prod-us-east-1"), "federationSourceRanges": []}
    run = Run()
    with pytest.raises(SettingsError) as err:
        run_program("prod-us-east-1", config, SECRETS, run=run)
    assert str(err.value) == ("federationSourceRanges: expected at least one private CIDR "
                              "(never open to every address), got []")
    assert run.registrations == []


def test_service_name_exposure_exports_the_name_the_operator_made_resolvable():
    config = {**stack_config("prod-us-east-1"), "federationExposure": "service-name",
              "federationHost": "prometheus.us-east-1.mesh.internal"}
    run = run_program("prod-us-east-1", config, SECRETS)
    assert run.outputs["federationEndpoint"] == "prometheus.us-east-1.mesh.internal:9090"
    assert run.by_type(SERVICE) == []
    run = Run()
    with pytest.raises(SettingsError) as err:
        run_program("prod-us-east-1", {**config, "federationHost": "prometheus-us-east-1"}, SECRETS, run=run)
    assert str(err.value).startswith("federationHost: expected a name that resolves from the global cluster")
    assert run.registrations == []


def test_a_regional_stack_that_exports_no_endpoint_stops_the_global_stack():
    regions = {**REGIONS, "prod-us-west-2": {**REGIONS["prod-us-west-2"], "federationEndpoint": ""}}
    with pytest.raises(Exception) as err:
        run_program("prod", stack_config("prod"), SECRETS, stack_outputs=regions)
    assert "federationStacks: prod-us-west-2 exports no federationEndpoint" in str(err.value)


def test_an_ingress_requires_a_certificate_and_basic_auth_and_keeps_the_htpasswd_secret():
    config = {**stack_config("prod-us-east-1"), "federationExposure": "ingress",
              "federationHost": "prometheus.us-east-1.example.com"}
    with pytest.raises(SettingsError) as err:
        run_program("prod-us-east-1", config, SECRETS)
    assert str(err.value).startswith("federationTlsSecret: ingress exposure needs its certificate")
    config["federationCertIssuer"] = "letsencrypt-prod"
    with pytest.raises(SettingsError) as err:
        run_program("prod-us-east-1", config, SECRETS)
    assert str(err.value).startswith("federationBasicAuth: required secret is not set")
    credentials = {"username": "federator", "password": "fed-literal-pw-31b"}
    run = run_program("prod-us-east-1", config, {**SECRETS, c.SECRET_FEDERATION_BASIC_AUTH: credentials})
    ingress = run.one(INGRESS)
    annotations = ingress.inputs["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/auth-type"] == "basic"
    # cert-manager issues the certificate into the Secret the Ingress serves.
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    assert ingress.inputs["spec"]["tls"] == [{"hosts": ["prometheus.us-east-1.example.com"],
                                              "secretName": "prometheus-federation-tls"}]
    htpasswd = next(s for s in run.by_type("kubernetes:core/v1:Secret")
                    if s.inputs["metadata"]["name"] == "prometheus-federation-htpasswd")
    assert is_secret(htpasswd.raw_inputs["stringData"])
    assert htpasswd.inputs["stringData"]["auth"].startswith("federator:{SHA}")
    assert "fed-literal-pw-31b" not in str(run.registrations)
    assert run.outputs["federationEndpoint"] == "prometheus.us-east-1.example.com:443"
    assert run.outputs["federationScheme"] == "https"


def test_an_ingress_serves_an_existing_tls_secret_without_cert_manager():
    config = {**stack_config("prod-us-east-1"), "federationExposure": "ingress",
              "federationHost": "prometheus.us-east-1.example.com", "federationTlsSecret": "federation-cert"}
    run = run_program("prod-us-east-1", config, {**SECRETS, c.SECRET_FEDERATION_BASIC_AUTH: {
        "username": "federator", "password": "fed-literal-pw-31b"}})
    ingress = run.one(INGRESS)
    assert ingress.inputs["spec"]["tls"][0]["secretName"] == "federation-cert"
    assert "cert-manager.io/cluster-issuer" not in ingress.inputs["metadata"]["annotations"]


def test_https_regions_are_federated_with_basic_auth_and_a_ca_by_secret_reference():
    credentials = {"username": "federator", "password": "fed-global-pw-8d2"}
    ca = CA_PEM
    run = run_program("prod", stack_config("prod"), {**SECRETS, c.SECRET_FEDERATION_BASIC_AUTH: credentials,
                                                     c.SECRET_FEDERATION_CA: ca}, stack_outputs=REGIONS)
    spec = _federation_job(run).inputs["spec"]
    assert spec["basicAuth"] == {"username": {"name": "prometheus-federation-auth", "key": "username"},
                                 "password": {"name": "prometheus-federation-auth", "key": "password"}}
    assert spec["tlsConfig"] == {"ca": {"secret": {"name": "prometheus-federation-ca", "key": "ca.crt"}}}
    secrets = {s.inputs["metadata"]["name"]: s for s in run.by_type("kubernetes:core/v1:Secret")}
    assert is_secret(secrets["prometheus-federation-auth"].raw_inputs["stringData"])
    assert secrets["prometheus-federation-auth"].inputs["stringData"]["password"] == "fed-global-pw-8d2"
    assert is_secret(secrets["prometheus-federation-ca"].raw_inputs["stringData"])
    visible = str([without_secrets(r.raw_inputs) for r in run.registrations])
    ca_body = CA_PEM.splitlines()[-2]
    assert "fed-global-pw-8d2" not in visible and ca_body not in visible
