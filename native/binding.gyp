{
  "targets": [
    {
      "target_name": "fluo_fastpath",
      "sources": ["fastpath.c", "datagram_in.c", "forward_batch.c"],
      # -ffp-contract=off: no fused multiply-add (aarch64's default), so the rewriter's
      # rounding in forward_batch.c is the JavaScript twin's (SendRecord.ts), bit for bit.
      "cflags": ["-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
