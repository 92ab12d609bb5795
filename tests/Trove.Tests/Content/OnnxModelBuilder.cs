using System.Text;

namespace Trove.Tests.Content;

/// <summary>
/// Writes tiny ONNX models as raw protobuf bytes (no onnx package, nothing downloaded), for the
/// bring-your-own encoder tests. Field numbers follow onnx.proto (ModelProto, GraphProto, NodeProto...).
/// </summary>
internal static class OnnxModelBuilder
{
    private sealed class Proto
    {
        private readonly MemoryStream _s = new();
        private void Varint(ulong v) { while (v >= 0x80) { _s.WriteByte((byte)(v | 0x80)); v >>= 7; } _s.WriteByte((byte)v); }
        private void Key(int field, int wire) => Varint((ulong)((field << 3) | wire));
        public Proto Int(int field, long v) { Key(field, 0); Varint((ulong)v); return this; }
        public Proto Bytes(int field, byte[] b) { Key(field, 2); Varint((ulong)b.Length); _s.Write(b); return this; }
        public Proto Str(int field, string s) => Bytes(field, Encoding.UTF8.GetBytes(s));
        public Proto Msg(int field, Proto p) => Bytes(field, p.ToArray());
        public byte[] ToArray() => _s.ToArray();
    }

    public const int Float = 1, Int64 = 7;

    private static Proto ValueInfo(string name, int elemType, params object[] dims)
    {
        var shape = new Proto();
        foreach (var d in dims)
            shape.Msg(1, d is string p ? new Proto().Str(2, p) : new Proto().Int(1, Convert.ToInt64(d)));
        var tensor = new Proto().Int(1, elemType).Msg(2, shape);
        return new Proto().Str(1, name).Msg(2, new Proto().Msg(1, tensor));
    }

    private static Proto FloatTensor(string name, float[] values, params long[] dims)
    {
        var t = new Proto();
        foreach (var d in dims) t.Int(1, d);
        t.Int(2, Float).Str(8, name);
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        return t.Bytes(9, raw);
    }

    private static Proto Node(string op, string[] inputs, string[] outputs, params Proto[] attributes)
    {
        var n = new Proto();
        foreach (var i in inputs) n.Str(1, i);
        foreach (var o in outputs) n.Str(2, o);
        n.Str(3, op + "_0").Str(4, op);
        foreach (var a in attributes) n.Msg(5, a);
        return n;
    }

    private static Proto IntsAttribute(string name, params long[] values)
    {
        var a = new Proto().Str(1, name);
        foreach (var v in values) a.Int(8, v);
        return a.Int(20, 7); // AttributeType.INTS
    }

    private static Proto IntAttribute(string name, long value) => new Proto().Str(1, name).Int(3, value).Int(20, 2); // INT

    private static byte[] Model(Proto graph) =>
        new Proto().Int(1, 8).Str(2, "trove-tests").Msg(7, graph).Msg(8, new Proto().Str(1, "").Int(2, 13)).ToArray();

    /// <summary>Y[N, cols] = X[N, rows] x W (W row-major rows x cols).</summary>
    public static byte[] MatMul(float[] w, int rows, int cols)
    {
        var g = new Proto()
            .Msg(1, Node("MatMul", ["X", "W"], ["Y"]))
            .Str(2, "matmul")
            .Msg(5, FloatTensor("W", w, rows, cols))
            .Msg(11, ValueInfo("X", Float, "N", rows))
            .Msg(12, ValueInfo("Y", Float, "N", cols));
        return Model(g);
    }

    /// <summary>Token embeddings: Y[N, L, dims] = E[ids] (an embedding lookup; the encoder mean-pools over L).</summary>
    public static byte[] Embedding(float[] table, int vocabulary, int dims)
    {
        var g = new Proto()
            .Msg(1, Node("Gather", ["E", "ids"], ["Y"], IntAttribute("axis", 0)))
            .Str(2, "embedding")
            .Msg(5, FloatTensor("E", table, vocabulary, dims))
            .Msg(11, ValueInfo("ids", Int64, "N", "L"))
            .Msg(12, ValueInfo("Y", Float, "N", "L", dims));
        return Model(g);
    }

    /// <summary>Per-channel mean of an image: Y[N, C] = mean over H, W of X[N, C, H, W].</summary>
    public static byte[] ChannelMean(int channels, int height, int width)
    {
        var g = new Proto()
            .Msg(1, Node("ReduceMean", ["X"], ["Y"], IntsAttribute("axes", 2, 3), IntAttribute("keepdims", 0)))
            .Str(2, "channel_mean")
            .Msg(11, ValueInfo("X", Float, "N", channels, height, width))
            .Msg(12, ValueInfo("Y", Float, "N", channels));
        return Model(g);
    }
}
