import { decodeTrade, encodeTrade, tradeRecordSchema } from "./codec.ts";
import type { Trade } from "./types.ts";

const stock: Trade = {
  symbol: "AAPL",
  price: 189.37,
  volume: 100,
  timestamp: 1714573800123,
  conditions: ["1", "12"],
  ingestedAt: 1714573800150,
};
const crypto: Trade = {
  symbol: "BINANCE:BTCUSDT",
  price: 63012.55,
  volume: 0.011467,
  timestamp: 1714573800123,
  conditions: [],
  ingestedAt: 1714573800150,
};
const stockValue = encodeTrade(stock);
const cryptoValue = encodeTrade(crypto);
const stockBytes = new TextEncoder().encode(stockValue);

Deno.bench("encodeTrade (stock)", { group: "encode" }, () => {
  encodeTrade(stock);
});
Deno.bench("encodeTrade (crypto)", { group: "encode" }, () => {
  encodeTrade(crypto);
});
Deno.bench("JSON.stringify (stock, baseline)", {
  group: "encode",
  baseline: true,
}, () => {
  JSON.stringify(stock);
});

Deno.bench("decodeTrade (stock string)", { group: "decode" }, () => {
  decodeTrade(stockValue);
});
Deno.bench("decodeTrade (crypto string)", { group: "decode" }, () => {
  decodeTrade(cryptoValue);
});
Deno.bench("decodeTrade (stock bytes)", { group: "decode" }, () => {
  decodeTrade(stockBytes);
});
Deno.bench("JSON.parse (stock, baseline, no validation)", {
  group: "decode",
  baseline: true,
}, () => {
  JSON.parse(stockValue);
});
Deno.bench("JSON.parse + zod schema (what the fast path avoids)", {
  group: "decode",
}, () => {
  tradeRecordSchema.parse(JSON.parse(stockValue));
});
