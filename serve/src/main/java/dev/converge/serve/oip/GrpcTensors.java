package dev.converge.serve.oip;

import com.google.protobuf.ByteString;
import dev.converge.serve.oip.proto.InferParameter;
import dev.converge.serve.oip.proto.InferTensorContents;
import dev.converge.serve.oip.proto.ModelInferRequest;
import dev.converge.serve.oip.proto.ModelInferResponse;
import dev.converge.serve.oip.proto.ModelMetadataResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The gRPC messages as the REST protocol's JSON, and back, so that both transports share {@link OipService}: a
 * tensor's typed contents or its raw little-endian bytes become the JSON {@code data} the REST route reads (and is
 * checked by the same {@link Tensors} rules), and an answer's JSON outputs become typed contents, or raw bytes when
 * the request sent raw ones (as Triton's clients do by default). Nothing is converted that the REST route would not
 * accept: a tensor whose contents field does not match its datatype, raw bytes whose size does not fit the shape's
 * elements, or BYTES that are not UTF-8 text are refused, naming the input.
 */
final class GrpcTensors {
    private GrpcTensors() {
    }

    /** A {@code ModelInferRequest} as the REST protocol's request body. */
    static JsonObject request(ModelInferRequest in) {
        JsonObject body = new JsonObject();
        if (!in.getId().isEmpty()) {
            body.put("id", in.getId());
        }
        if (in.getParametersCount() > 0) {
            body.put("parameters", parameters(in.getParametersMap()));
        }
        boolean raw = in.getRawInputContentsCount() > 0;
        if (raw && in.getRawInputContentsCount() != in.getInputsCount()) {
            throw new Tensors.Refused("raw_input_contents holds " + in.getRawInputContentsCount() + " entries for "
                    + in.getInputsCount() + " inputs: one per input, in order");
        }
        JsonArray inputs = new JsonArray();
        for (int i = 0; i < in.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor t = in.getInputs(i);
            String name = t.getName();
            if (raw && t.hasContents()) {
                throw new Tensors.Refused("input '" + name + "' has contents and the request raw_input_contents:"
                        + " one or the other");
            }
            JsonObject o = new JsonObject().put("name", name).put("datatype", t.getDatatype())
                    .put("shape", new JsonArray(new java.util.ArrayList<>(t.getShapeList())))
                    .put("data", raw ? raw(name, t.getDatatype(), in.getRawInputContents(i))
                            : contents(name, t.getDatatype(), t.getContents()));
            if (t.getParametersCount() > 0) {
                o.put("parameters", parameters(t.getParametersMap()));
            }
            inputs.add(o);
        }
        body.put("inputs", inputs);
        if (in.getOutputsCount() > 0) {
            JsonArray outputs = new JsonArray();
            for (ModelInferRequest.InferRequestedOutputTensor t : in.getOutputsList()) {
                JsonObject o = new JsonObject().put("name", t.getName());
                if (t.getParametersCount() > 0) {
                    o.put("parameters", parameters(t.getParametersMap()));
                }
                outputs.add(o);
            }
            body.put("outputs", outputs);
        }
        return body;
    }

    private static JsonObject parameters(Map<String, InferParameter> in) {
        JsonObject out = new JsonObject();
        in.forEach((k, v) -> out.put(k, switch (v.getParameterChoiceCase()) {
            case BOOL_PARAM -> v.getBoolParam();
            case INT64_PARAM -> v.getInt64Param();
            case STRING_PARAM -> v.getStringParam();
            case DOUBLE_PARAM -> v.getDoubleParam();
            case UINT64_PARAM -> Long.toUnsignedString(v.getUint64Param());
            case PARAMETERCHOICE_NOT_SET -> null;
        }));
        return out;
    }

    /** The typed contents field that holds {@code datatype}'s elements, as JSON values; any other field must be empty. */
    private static JsonArray contents(String name, String datatype, InferTensorContents c) {
        String field = switch (datatype) {
            case "BOOL" -> "bool_contents";
            case "INT8", "INT16", "INT32" -> "int_contents";
            case "INT64" -> "int64_contents";
            case "UINT8", "UINT16", "UINT32" -> "uint_contents";
            case "UINT64" -> "uint64_contents";
            case "FP32" -> "fp32_contents";
            case "FP64" -> "fp64_contents";
            case "BYTES" -> "bytes_contents";
            case "FP16", "BF16" -> throw new Tensors.Refused("input '" + name + "': " + datatype + " elements travel"
                    + " in raw_input_contents only (the protocol has no typed field for them)");
            default -> throw new Tensors.Refused("input '" + name + "': datatype must be one of "
                    + new java.util.TreeSet<>(Tensors.ALL_TYPES) + ", was '" + datatype + "'");
        };
        Map<String, Integer> sizes = Map.of("bool_contents", c.getBoolContentsCount(), "int_contents",
                c.getIntContentsCount(), "int64_contents", c.getInt64ContentsCount(), "uint_contents",
                c.getUintContentsCount(), "uint64_contents", c.getUint64ContentsCount(), "fp32_contents",
                c.getFp32ContentsCount(), "fp64_contents", c.getFp64ContentsCount(), "bytes_contents",
                c.getBytesContentsCount());
        sizes.forEach((f, n) -> {
            if (n > 0 && !f.equals(field)) {
                throw new Tensors.Refused("input '" + name + "' is " + datatype + ", whose elements go in contents."
                        + field + "; it sent " + n + " in contents." + f);
            }
        });
        JsonArray out = new JsonArray();
        switch (field) {
            case "bool_contents" -> c.getBoolContentsList().forEach(out::add);
            case "int_contents" -> c.getIntContentsList().forEach(v -> out.add(v.longValue()));
            case "int64_contents" -> c.getInt64ContentsList().forEach(out::add);
            case "uint_contents" -> c.getUintContentsList().forEach(v -> out.add(Integer.toUnsignedLong(v)));
            case "uint64_contents" -> c.getUint64ContentsList().forEach(v -> out.add(unsigned(v)));
            case "fp32_contents" -> c.getFp32ContentsList().forEach(v -> out.add(v.doubleValue()));
            case "fp64_contents" -> c.getFp64ContentsList().forEach(out::add);
            default -> {
                for (int i = 0; i < c.getBytesContentsCount(); i++) {
                    out.add(text(name, i, c.getBytesContents(i)));
                }
            }
        }
        return out;
    }

    /** A raw tensor: its elements row-major, little-endian; a BYTES element is a 4-byte length and its bytes. */
    private static JsonArray raw(String name, String datatype, ByteString bytes) {
        ByteBuffer b = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        JsonArray out = new JsonArray();
        if (datatype.equals("BYTES")) {
            int i = 0;
            while (b.hasRemaining()) {
                if (b.remaining() < 4) {
                    throw new Tensors.Refused("input '" + name + "': raw BYTES end inside an element's 4-byte length");
                }
                long n = Integer.toUnsignedLong(b.getInt());
                if (n > b.remaining()) {
                    throw new Tensors.Refused("input '" + name + "': raw element " + i + " announces " + n
                            + " bytes, " + b.remaining() + " remain");
                }
                byte[] e = new byte[(int) n];
                b.get(e);
                out.add(text(name, i++, ByteString.copyFrom(e)));
            }
            return out;
        }
        int size = switch (datatype) {
            case "BOOL", "INT8", "UINT8" -> 1;
            case "INT16", "UINT16", "FP16", "BF16" -> 2;
            case "INT32", "UINT32", "FP32" -> 4;
            case "INT64", "UINT64", "FP64" -> 8;
            default -> throw new Tensors.Refused("input '" + name + "': datatype must be one of "
                    + new java.util.TreeSet<>(Tensors.ALL_TYPES) + ", was '" + datatype + "'");
        };
        if (b.remaining() % size != 0) {
            throw new Tensors.Refused("input '" + name + "': " + b.remaining() + " raw bytes are not a whole number of "
                    + datatype + " elements (" + size + " bytes each)");
        }
        while (b.hasRemaining()) {
            switch (datatype) {
                case "BOOL" -> {
                    byte v = b.get();
                    if (v != 0 && v != 1) {
                        throw new Tensors.Refused("input '" + name + "': a raw BOOL is the byte 0 or 1, was " + v);
                    }
                    out.add(v == 1);
                }
                case "INT8" -> out.add((long) b.get());
                case "UINT8" -> out.add((long) Byte.toUnsignedInt(b.get()));
                case "INT16" -> out.add((long) b.getShort());
                case "UINT16" -> out.add((long) Short.toUnsignedInt(b.getShort()));
                case "FP16" -> out.add((double) half(b.getShort()));
                case "BF16" -> out.add((double) Float.intBitsToFloat((b.getShort() & 0xffff) << 16));
                case "INT32" -> out.add((long) b.getInt());
                case "UINT32" -> out.add(Integer.toUnsignedLong(b.getInt()));
                case "FP32" -> out.add((double) b.getFloat());
                case "INT64" -> out.add(b.getLong());
                case "UINT64" -> out.add(unsigned(b.getLong()));
                default -> out.add(b.getDouble());
            }
        }
        return out;
    }

    private static Object unsigned(long v) {
        return v >= 0 ? (Object) v : (Object) new java.math.BigDecimal(Long.toUnsignedString(v)).doubleValue();
    }

    /** An IEEE 754 half-precision value (FP16) as a float. */
    static float half(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant / 1024f * (float) Math.pow(2, -14);
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static String text(String name, int i, ByteString bytes) {
        if (!bytes.isValidUtf8()) { // protobuf's own check: no decoder made per element
            throw new Tensors.Refused("input '" + name + "': BYTES element " + i + " is not UTF-8 text (converge's"
                    + " BYTES inputs are strings: categories, text, timestamps, entity ids)");
        }
        return bytes.toStringUtf8();
    }

    /** The REST protocol's infer answer as a {@code ModelInferResponse}; raw outputs when {@code raw}. */
    static ModelInferResponse response(JsonObject answer, boolean raw) {
        ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(answer.getString("model_name"))
                .setModelVersion(answer.getString("model_version"));
        if (answer.getString("id") != null) {
            b.setId(answer.getString("id"));
        }
        answer.getJsonObject("parameters", new JsonObject()).forEach(e -> b.putParameters(e.getKey(),
                parameter(e.getValue())));
        for (Object o : answer.getJsonArray("outputs")) {
            JsonObject t = (JsonObject) o;
            String datatype = t.getString("datatype");
            ModelInferResponse.InferOutputTensor.Builder out = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(t.getString("name")).setDatatype(datatype);
            t.getJsonArray("shape").forEach(d -> out.addShape(((Number) d).longValue()));
            if (t.getValue("parameters") instanceof JsonObject p) {
                p.forEach(e -> out.putParameters(e.getKey(), parameter(e.getValue())));
            }
            JsonArray data = t.getJsonArray("data");
            if (raw) {
                b.addRawOutputContents(rawOf(datatype, data));
            } else {
                InferTensorContents.Builder c = InferTensorContents.newBuilder();
                for (Object v : data) {
                    switch (datatype) {
                        case "BYTES" -> c.addBytesContents(ByteString.copyFromUtf8(String.valueOf(v)));
                        case "INT32" -> c.addIntContents(((Number) v).intValue());
                        default -> c.addFp64Contents(((Number) v).doubleValue());
                    }
                }
                out.setContents(c);
            }
            b.addOutputs(out);
        }
        return b.build();
    }

    private static ByteString rawOf(String datatype, JsonArray data) {
        ByteString.Output out = ByteString.newOutput();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (Object v : data) {
            b.clear();
            switch (datatype) {
                case "BYTES" -> {
                    byte[] s = String.valueOf(v).getBytes(StandardCharsets.UTF_8);
                    b.putInt(s.length);
                    out.write(b.array(), 0, 4);
                    out.write(s, 0, s.length);
                    continue;
                }
                case "INT32" -> b.putInt(((Number) v).intValue());
                default -> b.putDouble(((Number) v).doubleValue());
            }
            out.write(b.array(), 0, b.position());
        }
        return out.toByteString();
    }

    private static InferParameter parameter(Object v) {
        InferParameter.Builder p = InferParameter.newBuilder();
        if (v instanceof Boolean x) {
            p.setBoolParam(x);
        } else if (v instanceof Integer || v instanceof Long) {
            p.setInt64Param(((Number) v).longValue());
        } else if (v instanceof Number x) {
            p.setDoubleParam(x.doubleValue());
        } else {
            p.setStringParam(String.valueOf(v));
        }
        return p.build();
    }

    /** The REST protocol's model metadata as a {@code ModelMetadataResponse}. */
    static ModelMetadataResponse metadata(JsonObject m) {
        ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(m.getString("name"))
                .setPlatform(m.getString("platform"));
        m.getJsonArray("versions").forEach(v -> b.addVersions(String.valueOf(v)));
        for (String list : List.of("inputs", "outputs")) {
            for (Object o : m.getJsonArray(list)) {
                JsonObject t = (JsonObject) o;
                ModelMetadataResponse.TensorMetadata.Builder tm = ModelMetadataResponse.TensorMetadata.newBuilder()
                        .setName(t.getString("name")).setDatatype(t.getString("datatype"));
                t.getJsonArray("shape").forEach(d -> tm.addShape(((Number) d).longValue()));
                if (list.equals("inputs")) {
                    b.addInputs(tm);
                } else {
                    b.addOutputs(tm);
                }
            }
        }
        return b.build();
    }
}
