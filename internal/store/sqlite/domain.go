package sqlite

// domainTables are the gifting tables the batch writer inserts into, in
// flush order.
var domainTables = []table{}

// domainQueries are the fixed domain statements of the batch writer.
var domainQueries = []string{}
