{
  "targets": [
    {
      "target_name": "fluo_fastpath",
      "sources": ["fastpath.c", "datagram_in.c", "forward_batch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
