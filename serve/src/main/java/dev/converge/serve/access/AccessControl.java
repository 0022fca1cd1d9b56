package dev.converge.serve.access;

import dev.converge.serve.config.ServeConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may do what, checked on every request before its route runs: the route's scope from {@link RouteScopes}, the
 * caller's from its key ({@code Authorization: Bearer cvk_...}), checked against the in-memory {@link KeyRing}. A
 * request without a key is answered 401, one whose key lacks the scope 403, each naming the scope wanted. The
 * server's admin token ({@code serve.admin_token}) still opens the admin routes, as before keys existed. How the
 * mode is decided at start: {@link #decide}; docs/security.md.
 */
public final class AccessControl implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(AccessControl.class);
    /** Where the route puts the caller, for routes that need to know it (admin, feedback, GraphQL fields). */
    public static final String PRINCIPAL = "converge.principal";

    /** How the server checks access, decided once at start. */
    public enum Mode {
        /** Keys enforced on every route that needs a scope. */
        KEYS,
        /** Open: no key exists and the server listens on loopback only (serve.auth=auto). */
        OPEN_LOOPBACK,
        /** Open because the operator said so (serve.auth=off). */
        OFF;

        public String describe() {
            return switch (this) {
                case KEYS -> "keys";
                case OPEN_LOOPBACK -> "open (loopback only, no API keys)";
                case OFF -> "off (serve.auth=off)";
            };
        }
    }

    private final Mode mode;
    private final KeyRing ring;
    private final byte[] adminToken;
    private final String servedModel;
    private final MeterRegistry metrics;
    private final Map<String, Counter> denied = new ConcurrentHashMap<>();
    private final Map<String, Counter> throttled = new ConcurrentHashMap<>();
    private volatile JwtVerifier jwt;
    /**
     * Failed authentications a source address may make a second (a burst of as many): beyond, its requests are
     * refused at once, before any key or token is looked at, so a brute-force client costs nothing and slows no one
     * else. Generous, because clients behind one NAT share an address.
     */
    static final int FAILURES_PER_SECOND = 50;
    private final Map<String, RateLimit> failures = new ConcurrentHashMap<>();

    AccessControl(Mode mode, KeyRing ring, String adminToken, String servedModel, MeterRegistry metrics) {
        this.mode = mode;
        this.ring = ring;
        this.adminToken = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
        this.servedModel = servedModel;
        this.metrics = metrics;
    }

    /**
     * Decides the mode from the keys read ({@link KeyRing#load}): {@code serve.auth=off} is open; {@code keys}
     * enforces; {@code auto} enforces when a live key exists, is open when none does and the server listens on
     * loopback only, and refuses to start otherwise (a server reachable from other machines is not opened by default).
     */
    public static AccessControl start(ServeConfig config, KeyRing ring, MeterRegistry metrics) {
        return start(config, ring, metrics, null);
    }

    /** As above, with bearer JWTs verified as well when {@code serve.auth.jwks} is set ({@code vertx} reads them). */
    public static AccessControl start(ServeConfig config, KeyRing ring, MeterRegistry metrics,
                                      io.vertx.core.Vertx vertx) {
        JwtVerifier jwt = config.jwt() == null || vertx == null ? null : JwtVerifier.start(vertx, config.jwt());
        if (ring.tableMissing() && !config.auth().equals("off") && !loopback(config.host())) {
            throw new IllegalStateException("the database has no api_keys table (it was migrated before API keys"
                    + " existed): run converge migrate, create a key (converge keys create), and start again");
        }
        Mode mode = decide(config.auth(), ring.anyLive() || jwt != null, loopback(config.host()), config.host());
        switch (mode) {
            case KEYS -> LOG.info("access control: keys ({} in the ring); routes need a key with their scope"
                    + " (docs/security.md)", ring.size());
            case OPEN_LOOPBACK -> LOG.info("access control is open: no API key exists{} and the server listens on {}"
                    + " only; `converge keys create` and a restart turn it on (docs/security.md)", ring.tableMissing()
                    ? " (the api_keys table is missing: run converge migrate)" : "", config.host());
            case OFF -> LOG.warn("access control is OFF (serve.auth=off): every route is open to anyone who reaches"
                    + " {}:{}", config.host(), config.port());
        }
        if (jwt != null && mode == Mode.KEYS) {
            LOG.info("access control: bearer JWTs from {} for audience {} ({} key(s) from {}), beside API keys",
                    config.jwt().issuer(), config.jwt().audience(), jwt.keys(), config.jwt().jwks());
        }
        AccessControl a = new AccessControl(mode, ring, config.adminToken(), config.model(), metrics);
        a.jwt = jwt;
        return a;
    }

    /** The mode for {@code serve.auth}, whether a live key exists, and whether the host is loopback only. */
    static Mode decide(String setting, boolean anyKey, boolean loopback, String host) {
        return switch (setting) {
            case "off" -> Mode.OFF;
            case "keys" -> Mode.KEYS;
            default -> {
                if (anyKey) {
                    yield Mode.KEYS;
                }
                if (loopback) {
                    yield Mode.OPEN_LOOPBACK;
                }
                throw new IllegalStateException("serve.host=" + host + " is reachable from other machines and no API"
                        + " key exists: create one (converge keys create --name NAME --scopes predict) and start"
                        + " again, or set serve.auth=off to serve every route openly (docs/security.md)");
            }
        };
    }

    static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public Mode mode() {
        return mode;
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (mode != Mode.KEYS) { // open: no principal (GraphQL reads none as anyone; admin still wants its token)
            ctx.next();
            return;
        }
        RouteScopes.Rule rule = RouteScopes.of(ctx.request().method().name(), ctx.request().path());
        if (rule == null || rule.scope().equals(RouteScopes.OPEN)) {
            ctx.next();
            return;
        }
        RateLimit failed = failures.get(source(ctx));
        if (failed != null && !failed.available()) {
            ctx.response().putHeader("Retry-After", "1");
            refuse(ctx, 429, "too_many_failures", "too many failed authentications from " + source(ctx) + " (more"
                    + " than " + FAILURES_PER_SECOND + " a second); retry after 1 s");
            return;
        }
        String header = ctx.request().getHeader("Authorization");
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim()
                : null;
        if (token == null) {
            refuse(ctx, 401, "unauthenticated", "this route needs a key with scope '" + rule.scope() + "'"
                    + " (Authorization: Bearer cvk_...; docs/security.md)");
            return;
        }
        Principal p;
        if (rule.scope().equals("admin") && adminToken != null && MessageDigest.isEqual(adminToken,
                token.getBytes(StandardCharsets.UTF_8))) {
            p = new Principal("admin-token", "the server's admin token", java.util.Set.of("admin"), null);
        } else if (jwt != null && !token.startsWith("cvk_")) { // not a key of ours: an identity provider's token
            jwt.verify(token).onComplete(ar -> {
                if (ar.failed()) {
                    refuse(ctx, 401, "unauthenticated", "the bearer token is neither a converge key nor a valid JWT"
                            + " of the configured issuer and audience (" + reason(ar.cause()) + ")");
                } else {
                    authorize(ctx, rule, ar.result());
                }
            });
            return;
        } else {
            KeyRing.Checked c = ring.check(token);
            if (c.principal() == null) {
                refuse(ctx, 401, "unauthenticated", c.refusal());
                return;
            }
            p = c.principal();
        }
        authorize(ctx, rule, p);
    }

    /** A JWT's refusal in words: what failed (expired, audience, signature), never the token. */
    private static String reason(Throwable e) {
        String m = String.valueOf(e.getMessage());
        return m.length() > 160 ? m.substring(0, 160) + "..." : m;
    }

    /** The principal known: its scope for the route, the model it may predict with, its rate. */
    private void authorize(RoutingContext ctx, RouteScopes.Rule rule, Principal p) {
        boolean allowed = switch (rule.scope()) {
            case "any" -> true;
            // A gRPC call names its model in the message: the scope here, the model once it is read (OipGrpc).
            case "predict" -> ctx.request().path().startsWith("/inference.") ? p.has("predict")
                    : p.mayPredict(RouteScopes.modelOf(ctx.request().path()) == null ? servedModel
                    : RouteScopes.modelOf(ctx.request().path()));
            default -> p.has(rule.scope());
        };
        if (!allowed) {
            refuse(ctx, 403, "forbidden", "key " + p.id() + " ('" + p.name() + "') " + (p.has(rule.scope())
                    ? "may predict only with " + p.models() : "lacks scope '" + rule.scope() + "'") + ", which "
                    + ctx.request().method() + " " + ctx.request().path() + " needs");
            return;
        }
        if (p.rate() != null && !p.rate().take()) {
            throttled.computeIfAbsent(p.id(), id -> Counter.builder("converge.auth.throttled").tag("key", id)
                    .register(metrics)).increment();
            ctx.response().putHeader("Retry-After", "1");
            refuse(ctx, 429, "over_rate", "key " + p.id() + " ('" + p.name() + "') is over its rate of "
                    + p.rate().perSecond() + " requests a second; retry after 1 s");
            return;
        }
        ctx.put(PRINCIPAL, p);
        ctx.next();
    }

    private static String source(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
    }

    private void refuse(RoutingContext ctx, int status, String code, String message) {
        denied.computeIfAbsent(code, c -> Counter.builder("converge.auth.denied").tag("reason", c)
                .register(metrics)).increment();
        if (status == 401) { // a failed authentication: counted against its source address
            if (failures.size() > 100_000) {
                failures.clear(); // bounded: a flood of addresses starts the count over
            }
            failures.computeIfAbsent(source(ctx), a -> new RateLimit(FAILURES_PER_SECOND)).take();
        }
        if (dev.converge.serve.grpc.Grpc.is(ctx)) { // a gRPC client reads a gRPC status, not a JSON body
            dev.converge.serve.grpc.Grpc.refuse(ctx, dev.converge.serve.grpc.Grpc.status(status), message);
            return;
        }
        if (status == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"converge\"");
        }
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", code).put("message", message).encode());
    }

    /** The rules, for docs and tests. */
    public static List<RouteScopes.Rule> rules() {
        return RouteScopes.RULES;
    }
}
