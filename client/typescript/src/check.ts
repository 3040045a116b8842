// The client's run against a real gateway (client/client_test.go): post an
// event, list its delivery once delivered, resend it, and print each step as
// one JSON line for the Go test to read.
import { createHeraldClient } from "./index.js";

const url = process.env.HERALD_URL ?? "";
const key = process.env.HERALD_API_KEY ?? "";
const herald = createHeraldClient(url, key);
const say = (step: string, v: unknown) => console.log(JSON.stringify({ step, ...(v as object) }));

async function main(): Promise<void> {
  const posted = await herald.POST("/v1/events", {
    body: { event: "deployment:success", id: "deploy-7", data: { project: { id: "website" }, deployment: { id: "7" } } },
  });
  if (posted.error) throw new Error(`post refused: ${posted.error.detail}`);
  say("posted", { id: posted.data.id, matched: posted.data.matched });

  // Refusals come back typed, pointing at the field.
  const refused = await herald.POST("/v1/events", { body: { event: "not a type" } });
  say("refused", { status: refused.response.status, pointer: refused.error?.errors?.[0]?.pointer });

  let delivery: { id: string; status: string } | undefined;
  for (let i = 0; i < 300 && delivery?.status !== "delivered"; i++) {
    const list = await herald.GET("/v1/deliveries", { params: { query: { event: "deployment:success" } } });
    if (list.error) throw new Error(`list refused: ${list.error.detail}`);
    delivery = list.data.data?.[0];
    if (delivery?.status !== "delivered") await new Promise((r) => setTimeout(r, 200));
  }
  say("listed", { status: delivery?.status });
  if (!delivery) throw new Error("no delivery listed");

  const resent = await herald.POST("/v1/deliveries/{id}/resend", { params: { path: { id: delivery.id } } });
  if (resent.error) throw new Error(`resend refused: ${resent.error.detail}`);
  say("resent", { same: resent.data.deliveryId === delivery.id });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
