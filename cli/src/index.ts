export * from "@hitl/sdk";
