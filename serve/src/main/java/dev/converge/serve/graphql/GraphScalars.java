package dev.converge.serve.graphql;

import graphql.GraphQLContext;
import graphql.execution.CoercedVariables;
import graphql.language.ArrayValue;
import graphql.language.BooleanValue;
import graphql.language.FloatValue;
import graphql.language.IntValue;
import graphql.language.NullValue;
import graphql.language.ObjectField;
import graphql.language.ObjectValue;
import graphql.language.StringValue;
import graphql.language.Value;
import graphql.language.VariableReference;
import graphql.schema.Coercing;
import graphql.schema.CoercingParseLiteralException;
import graphql.schema.CoercingParseValueException;
import graphql.schema.CoercingSerializeException;
import graphql.schema.GraphQLScalarType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The custom scalars: {@code JSON} for the dynamic documents, {@code DateTime} for instants. */
final class GraphScalars {
    private GraphScalars() {}

    /** Any JSON value, passed through as Java maps, lists, strings, numbers and booleans. */
    static final GraphQLScalarType JSON = GraphQLScalarType.newScalar().name("JSON")
            .description("A JSON value").coercing(new Coercing<Object, Object>() {
                @Override
                public Object serialize(Object value, GraphQLContext context, Locale locale) {
                    if (value instanceof io.vertx.core.json.JsonObject o) {
                        return o.getMap();
                    }
                    if (value instanceof io.vertx.core.json.JsonArray a) {
                        return a.getList();
                    }
                    if (value instanceof Instant t) {
                        return t.toString();
                    }
                    return value;
                }

                @Override
                public Object parseValue(Object input, GraphQLContext context, Locale locale) {
                    return input;
                }

                @Override
                public Object parseLiteral(Value<?> input, CoercedVariables variables, GraphQLContext context,
                                           Locale locale) {
                    return literal(input, variables);
                }
            }).build();

    private static Object literal(Value<?> v, CoercedVariables variables) {
        if (v instanceof NullValue) {
            return null;
        }
        if (v instanceof StringValue s) {
            return s.getValue();
        }
        if (v instanceof BooleanValue b) {
            return b.isValue();
        }
        if (v instanceof IntValue i) {
            BigInteger n = i.getValue();
            return n.bitLength() < 64 ? (Object) n.longValue() : new BigDecimal(n);
        }
        if (v instanceof FloatValue f) {
            return f.getValue().doubleValue();
        }
        if (v instanceof ArrayValue a) {
            List<Object> out = new ArrayList<>();
            a.getValues().forEach(x -> out.add(literal(x, variables)));
            return out;
        }
        if (v instanceof ObjectValue o) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (ObjectField f : o.getObjectFields()) {
                out.put(f.getName(), literal(f.getValue(), variables));
            }
            return out;
        }
        if (v instanceof VariableReference r) {
            return variables.get(r.getName());
        }
        throw new CoercingParseLiteralException("not a JSON value: " + v);
    }

    /** An instant, written and read as ISO-8601 with an offset. */
    static final GraphQLScalarType DATE_TIME = GraphQLScalarType.newScalar().name("DateTime")
            .description("An ISO-8601 instant with an offset").coercing(new Coercing<Instant, String>() {
                @Override
                public String serialize(Object value, GraphQLContext context, Locale locale) {
                    if (value instanceof Instant t) {
                        return t.toString();
                    }
                    if (value instanceof OffsetDateTime t) {
                        return t.toInstant().toString();
                    }
                    throw new CoercingSerializeException("not an instant: " + value);
                }

                @Override
                public Instant parseValue(Object input, GraphQLContext context, Locale locale) {
                    if (input instanceof String s) {
                        return parse(s, CoercingParseValueException::new);
                    }
                    throw new CoercingParseValueException("a DateTime is a string like 2026-01-31T12:00:00Z, not "
                            + input);
                }

                @Override
                public Instant parseLiteral(Value<?> input, CoercedVariables variables, GraphQLContext context,
                                            Locale locale) {
                    if (input instanceof StringValue s) {
                        return parse(s.getValue(), CoercingParseLiteralException::new);
                    }
                    throw new CoercingParseLiteralException("a DateTime is a string like 2026-01-31T12:00:00Z");
                }
            }).build();

    private static Instant parse(String s, java.util.function.Function<String, RuntimeException> error) {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw error.apply("'" + s + "' is not an ISO-8601 instant with an offset (like 2026-01-31T12:00:00Z)");
        }
    }
}
