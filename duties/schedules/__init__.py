"""The scheduled duties (arts. 3-31, 33-36): schedules, the obligations generated from them,
evidence, 公示 records (art. 35) and the events behind on-event duties."""
