"""Fulfils one order. An item out of stock is an error: Lambda retries the event (twice,
after one and then two minutes) and then sends it to the on-failure destination."""

OUT_OF_STOCK = {"unobtainium"}


def handler(order, context):
    if order["item"] in OUT_OF_STOCK:
        raise RuntimeError(f"{order['item']} is out of stock")
    return {"orderId": order["id"], "status": "fulfilled", "quantity": order["quantity"]}
