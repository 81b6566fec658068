import { describe, expect, it } from "vitest";
import * as q from "../../../components/monitoring/queries";

describe("alert queries (pinned: a change here changes what pages someone)", () => {
  it("function failure rate: one app's requests, sampled rows weighted, quiet windows silent", () => {
    expect(q.functionFailureRateQuery("test-orders-d-abcde", 10)).toBe(
      [
        "requests",
        '| where cloud_RoleName == "test-orders-d-abcde"',
        "| summarize Total = sum(itemCount), Failed = sumif(itemCount, success == false)",
        "| where Total >= 10",
        "| extend FailureRatePercent = round(100.0 * Failed / Total, 2)",
        "| project FailureRatePercent, Failed, Total",
      ].join("\n"),
    );
    expect(q.FAILURE_RATE_COLUMN).toBe("FailureRatePercent");
  });

  it("poison messages: PutMessage on any -poison queue of one account", () => {
    expect(q.poisonMessagesQuery("testmsgd12345")).toBe(
      [
        "StorageQueueLogs",
        '| where AccountName == "testmsgd12345" and OperationName == "PutMessage"',
        '| extend Queue = tostring(split(parse_url(Uri).Path, "/")[1])',
        '| where Queue endswith "-poison"',
        "| summarize PoisonMessages = count()",
      ].join("\n"),
    );
    expect(q.POISON_MESSAGES_COLUMN).toBe("PoisonMessages");
  });

  it("quotes names as KQL string literals (no injection through a name)", () => {
    expect(q.kqlString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(q.functionFailureRateQuery('x" or true or "', 1)).toContain('cloud_RoleName == "x\\" or true or \\""');
  });
});

describe("workbook queries (pinned)", () => {
  it.each([
    [
      "REQUESTS_PER_SERVICE",
      q.REQUESTS_PER_SERVICE,
      [
        "requests",
        "| summarize Requests = sum(itemCount), Failed = sumif(itemCount, success == false), P95DurationMs = percentile(duration, 95) by Service = cloud_RoleName",
        "| extend FailureRatePercent = round(100.0 * Failed / Requests, 2)",
        "| order by Failed desc",
      ],
    ],
    [
      "FAILURES_OVER_TIME",
      q.FAILURES_OVER_TIME,
      ["requests", "| where success == false", "| summarize Failed = sum(itemCount) by Service = cloud_RoleName, bin(timestamp, 5m)", "| render timechart"],
    ],
    [
      "TOP_EXCEPTIONS",
      q.TOP_EXCEPTIONS,
      [
        "exceptions",
        "| summarize Count = sum(itemCount), LastSeen = max(timestamp) by Service = cloud_RoleName, ProblemId = problemId",
        "| top 20 by Count desc",
      ],
    ],
    [
      "QUEUE_FLOW",
      q.QUEUE_FLOW,
      [
        "StorageQueueLogs",
        '| where OperationName in ("PutMessage", "DeleteMessage")',
        '| extend Queue = tostring(split(parse_url(Uri).Path, "/")[1])',
        '| summarize Put = countif(OperationName == "PutMessage"), Deleted = countif(OperationName == "DeleteMessage") by Account = AccountName, Queue',
        "| extend DepthChange = Put - Deleted",
        "| order by DepthChange desc",
      ],
    ],
    [
      "POISON_QUEUES",
      q.POISON_QUEUES,
      [
        "StorageQueueLogs",
        '| where OperationName == "PutMessage"',
        '| extend Queue = tostring(split(parse_url(Uri).Path, "/")[1])',
        '| where Queue endswith "-poison"',
        "| summarize PoisonMessages = count(), LastArrival = max(TimeGenerated) by Account = AccountName, Queue",
        "| order by LastArrival desc",
      ],
    ],
    [
      "ORCHESTRATION_OUTCOMES",
      q.ORCHESTRATION_OUTCOMES,
      [
        "traces",
        '| where customDimensions.Category == "Host.Triggers.DurableTask"',
        "| extend FunctionType = tostring(customDimensions.prop__functionType), State = tostring(customDimensions.prop__state), Orchestration = tostring(customDimensions.prop__functionName), InstanceId = tostring(customDimensions.prop__instanceId)",
        '| where FunctionType == "Orchestrator"',
        '| where State in ("Completed", "Failed", "Terminated")',
        "| summarize Instances = dcount(InstanceId) by Service = cloud_RoleName, Orchestration, State",
        "| order by Service asc, Orchestration asc, State asc",
      ],
    ],
    [
      "FAILED_ORCHESTRATIONS",
      q.FAILED_ORCHESTRATIONS,
      [
        "traces",
        '| where customDimensions.Category == "Host.Triggers.DurableTask"',
        "| extend FunctionType = tostring(customDimensions.prop__functionType), State = tostring(customDimensions.prop__state), Orchestration = tostring(customDimensions.prop__functionName), InstanceId = tostring(customDimensions.prop__instanceId)",
        '| where FunctionType == "Orchestrator"',
        '| where State == "Failed"',
        "| project timestamp, Service = cloud_RoleName, Orchestration, InstanceId, Reason = tostring(customDimensions.prop__reason)",
        "| top 50 by timestamp desc",
      ],
    ],
    [
      "COSMOS_RU_OVER_TIME",
      q.COSMOS_RU_OVER_TIME,
      [
        "CDBDataPlaneRequests",
        "| summarize RequestUnits = sum(RequestCharge), Throttled = countif(StatusCode == 429) by bin(TimeGenerated, 5m)",
        "| render timechart",
      ],
    ],
    [
      "COSMOS_RU_PER_CONTAINER",
      q.COSMOS_RU_PER_CONTAINER,
      [
        "CDBDataPlaneRequests",
        "| summarize RequestUnits = round(sum(RequestCharge), 1), Requests = count(), Throttled = countif(StatusCode == 429) by DatabaseName, CollectionName",
        "| order by RequestUnits desc",
      ],
    ],
  ])("%s", (_name, actual, lines) => {
    expect(actual).toBe(lines.join("\n"));
  });
});
