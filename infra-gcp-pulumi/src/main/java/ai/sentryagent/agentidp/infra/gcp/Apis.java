package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.gcp.projects.Service;
import com.pulumi.gcp.projects.ServiceArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The Google APIs the environment needs. They stay enabled when the stack is destroyed: other things may use them. */
public final class Apis extends ComponentResource {
    static final List<String> REQUIRED = List.of(
            "run.googleapis.com",
            "sqladmin.googleapis.com",
            "redis.googleapis.com",
            "secretmanager.googleapis.com",
            "vpcaccess.googleapis.com",
            "servicenetworking.googleapis.com",
            "compute.googleapis.com",
            "iam.googleapis.com",
            "artifactregistry.googleapis.com",
            // Alert policies, uptime checks, the Prometheus sidecar's writes; log retention; the A record.
            "monitoring.googleapis.com",
            "logging.googleapis.com",
            "dns.googleapis.com",
            // Every provider call that enables a service goes through this API: it must be enabled once by hand
            // before the first pulumi up (docs/deployment.md §3.2); listing it keeps it on.
            "cloudresourcemanager.googleapis.com");

    private final List<Resource> services = new ArrayList<>();

    public Apis(String name, GcpConfig config) {
        super("agentidp:gcp:Apis", name, ComponentResourceOptions.builder().build());
        for (String api : REQUIRED) {
            services.add(new Service(
                    name + "-" + api.substring(0, api.indexOf('.')),
                    ServiceArgs.builder()
                            .project(config.project())
                            .service(api)
                            .disableOnDestroy(false)
                            .disableDependentServices(false)
                            .build(),
                    CustomResourceOptions.builder().parent(this).build()));
        }
        registerOutputs(Map.of());
    }

    /** What every other resource waits for. */
    public List<Resource> enabled() {
        return List.copyOf(services);
    }
}
