package dev.converge.train.pipeline;

/** What flows between blocks: each block takes one kind and gives one; a pipeline ends in REGISTERED. */
public enum Port { NONE, EVENTS, TABLE, SPLITS, RUNS, CHAMPION, REGISTERED }
